// The Reliability layer; see ../../docs and ARCHITECTURE in README.
