"""Runtime pieces used by compiled policies: text matchers, window stores, report building."""
