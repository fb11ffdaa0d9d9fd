#!/usr/bin/env python3
"""A consumer written the way the original system's consumers were: nats-py, subscribing
`market.*.*.trade` and `market.*.*.orderbook`, reading the documented fields (docs/messages.md).

Usage: nats_consumer_check.py NATS_URL STREAM EXPECTED_TRADES EXPECTED_ORDERBOOKS
Reads the stream with JetStream ordered consumers, validates every message, prints one JSON
summary line and exits 0 only if every message is valid and the counts match.
"""
import asyncio
import json
import sys
from datetime import datetime
from decimal import Decimal

import nats

EXCHANGES = {"binance", "binance_futures", "okx", "deribit"}


class Invalid(Exception):
    pass


def require(cond, what, msg):
    if not cond:
        raise Invalid(f"{msg.subject}: {what}")


def check_common(msg, data, channel):
    parts = msg.subject.split(".")
    require(len(parts) == 4 and parts[0] == "market" and parts[3] == channel, "subject shape", msg)
    require(data.get("exchange_name") in EXCHANGES, "exchange_name", msg)
    require(data["exchange_name"] == parts[1], "exchange_name matches subject", msg)
    require(isinstance(data.get("symbol_name"), str) and data["symbol_name"] == parts[2], "symbol_name", msg)
    ts = datetime.fromisoformat(data["timestamp"])
    collected = datetime.fromisoformat(data["collected_at"])
    require(ts.tzinfo is not None and collected.tzinfo is not None, "timezone-aware times", msg)
    require(isinstance(data.get("timestamp_ns"), int), "timestamp_ns", msg)
    require(int(ts.timestamp() * 1_000_000) == data["timestamp_ns"] // 1000, "timestamp agrees with timestamp_ns", msg)
    require(msg.headers and msg.headers.get("Nats-Msg-Id"), "Nats-Msg-Id header", msg)


def check_trade(msg, data):
    check_common(msg, data, "trade")
    require(isinstance(data.get("trade_id"), str) and data["trade_id"], "trade_id", msg)
    require(isinstance(data.get("price"), Decimal) and data["price"] > 0, "price", msg)
    require(isinstance(data.get("quantity"), Decimal) and data["quantity"] > 0, "quantity", msg)
    require(data.get("side") in ("buy", "sell"), "side", msg)


def check_levels(msg, levels, descending):
    require(isinstance(levels, list), "levels list", msg)
    prices = []
    for level in levels:
        require(isinstance(level.get("price"), Decimal) and isinstance(level.get("quantity"), Decimal), "level fields", msg)
        prices.append(level["price"])
    require(prices == sorted(prices, reverse=descending), "levels best first", msg)


def check_orderbook(msg, data):
    check_common(msg, data, "orderbook")
    require(isinstance(data.get("last_update_id"), int), "last_update_id", msg)
    check_levels(msg, data.get("bids"), True)
    check_levels(msg, data.get("asks"), False)


async def read(js, subject, expected, check):
    sub = await js.subscribe(subject, ordered_consumer=True)
    count = 0
    try:
        while count < expected:
            msg = await sub.next_msg(timeout=10)
            check(msg, json.loads(msg.data, parse_float=Decimal))
            count += 1
        # Nothing beyond the expected count may arrive.
        try:
            extra = await sub.next_msg(timeout=0.5)
            raise Invalid(f"unexpected extra message on {extra.subject}")
        except nats.errors.TimeoutError:
            pass
    finally:
        await sub.unsubscribe()
    return count


async def main():
    url, stream, trades, books = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream)
        got_trades = await read(js, "market.*.*.trade", trades, check_trade)
        got_books = await read(js, "market.*.*.orderbook", books, check_orderbook)
        print(json.dumps({"stream_messages": info.state.messages, "trade": got_trades, "orderbook": got_books}))
    finally:
        await nc.close()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except Invalid as e:
        print(json.dumps({"error": str(e)}))
        sys.exit(1)
