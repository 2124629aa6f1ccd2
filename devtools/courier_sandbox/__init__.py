"""The courier sandbox: a local HTTP server that speaks the DHL/UPS-shaped JSON of the
sandbox adapter (fulfillment/couriers/adapters/sandbox.py), moves parcels on an accelerated
clock and can inject faults. Run with `python -m devtools.courier_sandbox --port 8765`."""
