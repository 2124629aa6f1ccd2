"""Services of the checkout-rules domain: pricing (pure), rules (writes), preview."""
