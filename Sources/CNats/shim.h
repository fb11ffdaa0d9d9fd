#ifndef MARKETPRISM_CNATS_SHIM_H
#define MARKETPRISM_CNATS_SHIM_H
#include <nats/nats.h>
#endif
