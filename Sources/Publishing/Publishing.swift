// The Publishing layer; see ../../docs and ARCHITECTURE in README.
