"""Shopper messages (#19 item 5): the shop's brand, the message templates a merchant edits per
event, channel and language, rendering them safely, sending email and SMS in the shop's name,
and the log of each message sent with the provider's delivery reports."""
