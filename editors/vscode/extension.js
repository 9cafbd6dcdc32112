// The VS Code side of rulekit: starts `rulekit lsp` over stdio for .rule files. Highlighting comes from the
// TextMate grammar; everything else (diagnostics, formatting, hover, definitions, completion, quick fixes,
// "run test" lenses, semantic tokens) from the language server.
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function start() {
  const config = vscode.workspace.getConfiguration("rulekit");
  const serverOptions = {
    command: config.get("server.command", "rulekit"),
    args: config.get("server.args", ["lsp"]),
    transport: TransportKind.stdio,
  };
  const clientOptions = { documentSelector: [{ scheme: "file", language: "rulekit" }] };
  client = new LanguageClient("rulekit", "rulekit", serverOptions, clientOptions);
  return client.start();
}

function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("rulekit.restartServer", async () => {
      if (client) {
        await client.stop();
      }
      await start();
    }),
  );
  return start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
