// The Recording layer; see ../../docs and ARCHITECTURE in README.
