"""Tools for development and tests, never imported by the product apps (an import-linter
contract checks): the courier sandbox server and the demo shop that `make run` starts."""
