"""The returns portal (#19 item 6): shoppers ask to send items back (public pages found by order
number + email or from the tracking page), merchants set the rules and approve or reject, and the
returned parcel's arrival makes the order returned and puts its stock back, once."""
