#!/bin/bash
# Writes the shipped synthetic recordings (recordings/*.mprec) again, byte for byte.
# Usage: scripts/make-recordings.sh [MARKETPRISM]   (default: .build/release/marketprism)
set -euo pipefail
cd "$(dirname "$0")/.."
M=${1:-.build/release/marketprism}
"$M" synth --venue binance --symbols BTC-USDT,ETH-USDT --duration 2m --seed 1 --output recordings/binance-spot.mprec
"$M" synth --venue binance_futures --symbols BTC-USDT-PERP,ETH-USDT-PERP --duration 2m --seed 2 --output recordings/binance-futures.mprec
"$M" synth --venue okx --symbols BTC-USDT,BTC-USDT-PERP --duration 2m --seed 3 --output recordings/okx.mprec
"$M" synth --venue deribit --symbols BTC-USD-PERP,ETH-USD-PERP --duration 2m --seed 4 --output recordings/deribit.mprec
