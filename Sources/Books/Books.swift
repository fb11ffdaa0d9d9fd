// The Books layer; see ../../docs and ARCHITECTURE in README.
