"""The language front end: the Lark parser, the AST nodes, the one visitor, the formatter."""
