"""Demand forecasting and simulation: pure functions (numpy only), no Django imports.

`forecast` turns a daily count series into a forecast with a band and flags spikes;
`simulate` makes a realistic order history for the demo and the benchmark; `chart` lays out
the server-rendered SVG chart.
"""
