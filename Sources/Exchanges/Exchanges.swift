// The Exchanges layer; see ../../docs and ARCHITECTURE in README.
