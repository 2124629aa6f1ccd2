"""The default words of every shopper message, marked for translation (fulfillment/locale/).
A merchant's own template (NotificationTemplate) replaces the subject and body of one event,
channel and language; the layout around the body (headline, delivery window, pickup code,
button, footer) stays ours."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# (language code, name in that language): English is the default; a shopper's other language
# falls back to English.
LANGUAGES = [("en", "English"), ("es", "Español"), ("de", "Deutsch")]
DEFAULT_LANGUAGE = "en"

# event: (email subject, headline, email body, SMS body)
DEFAULTS = {
    "shipped": (
        _("Your order from {{ shop_name }} is on its way"),
        _("Your parcel is on its way"),
        _("Hello {{ shopper_name }},\n\nwe handed your parcel to {{ courier }}."),
        _("{{ shop_name }}: your parcel is on its way. {{ eta }} {{ tracking_url }}"),
    ),
    "out_for_delivery": (
        _("Your {{ shop_name }} parcel arrives today"),
        _("Out for delivery"),
        _("Hello {{ shopper_name }},\n\nthe driver has your parcel and is delivering it today."),
        _("{{ shop_name }}: your parcel is out for delivery. {{ eta }} {{ tracking_url }}"),
    ),
    "available_for_pickup": (
        _("Your {{ shop_name }} parcel is ready for pickup"),
        _("Ready for pickup"),
        _("Hello {{ shopper_name }},\n\nyour parcel is waiting for you at the pickup point."),
        _(
            "{{ shop_name }}: your parcel is ready for pickup. Code {{ pickup_code }}. "
            "{{ tracking_url }}"
        ),
    ),
    "delivered": (
        _("Your {{ shop_name }} parcel was delivered"),
        _("Delivered"),
        _("Hello {{ shopper_name }},\n\nyour parcel was delivered. Enjoy!"),
        _("{{ shop_name }}: your parcel was delivered. {{ tracking_url }}"),
    ),
    "failed_attempt": (
        _("We missed you: your {{ shop_name }} parcel"),
        _("We tried to deliver your parcel"),
        _(
            "Hello {{ shopper_name }},\n\nnobody could take the parcel. The courier will try "
            "again, or you can have it sent to a locker or pickup shop near you."
        ),
        _("{{ shop_name }}: we tried to deliver your parcel. {{ tracking_url }}"),
    ),
    "nearby": (
        _("Your {{ shop_name }} parcel is nearly there"),
        _("Your courier is nearly there"),
        _("Hello {{ shopper_name }},\n\nyour courier is nearly there with your parcel."),
        _("{{ shop_name }}: your courier is nearly there. {{ tracking_url }}"),
    ),
    "return_label_ready": (
        _("Your return label for {{ shop_name }}"),
        _("Your return label is ready"),
        _(
            "Hello {{ shopper_name }},\n\nyour return of order {{ order_reference }} is "
            "approved. Print the label and hand the parcel to {{ courier }}."
        ),
        _("{{ shop_name }}: your return label is ready. {{ tracking_url }}"),
    ),
    "return_received": (
        _("{{ shop_name }} received your return"),
        _("We received your return"),
        _(
            "Hello {{ shopper_name }},\n\nyour returned parcel for order {{ order_reference }} "
            "arrived."
        ),
        _("{{ shop_name }}: we received your return of order {{ order_reference }}."),
    ),
    # A parcel sent to a locker or shop after it left (#20 item 4): the card under the words
    # names the place, its hours, the hold days and when the code comes (LAYOUT below).
    "redirected": (
        _("Your {{ shop_name }} parcel now goes to a pickup point"),
        _("Your parcel goes to a pickup point"),
        _(
            "Hello {{ shopper_name }},\n\nyour parcel now goes to {{ pickup_point }}. "
            "It is held there for {{ hold_days }} days after it arrives."
        ),
        _(
            "{{ shop_name }}: your parcel now goes to {{ pickup_point }} ({{ opening_hours }}), "
            "held {{ hold_days }} days. Your pickup code follows when it is there. "
            "{{ tracking_url }}"
        ),
    ),
    "rescheduled": (
        _("Your {{ shop_name }} parcel comes on {{ delivery_day }}"),
        _("A new delivery day"),
        _("Hello {{ shopper_name }},\n\nyour parcel now comes on {{ delivery_day }}."),
        _("{{ shop_name }}: your parcel now comes on {{ delivery_day }}. {{ tracking_url }}"),
    ),
}
# The English nearby message names the courier and the minutes ("Sam is about 4 minutes
# away with your parcel", tracking/nearby.py); other languages keep the general words above.
ENGLISH_NEARBY = ("{{ nearby_lead }}", "Hello {{ shopper_name }},\n\n{{ nearby_lead }}.")
ENGLISH_NEARBY_SMS = "{{ shop_name }}: {{ nearby_lead }}. {{ tracking_url }}"

LAYOUT = {
    "button": _("Follow your parcel"),
    "button_nearby": _("Watch on the map"),
    "expected": _("Expected:"),
    "confidence": _("%(percent)s%% of similar parcels arrived in this window."),
    "pickup_code": _("Your pickup code:"),
    "pickup_code_later": _("You will receive your pickup code in a separate message."),
    "pickup_point": _("Pickup point:"),
    "opening_hours": _("Opening hours:"),
    "held_for": _("Held there for %(days)s days after it arrives."),
    "code_on_arrival": _(
        "Your pickup code comes in a separate message as soon as the parcel is there."
    ),
    "offer_redirect": _(
        "Not at home next time? Choose a locker or pickup shop on the tracking page."
    ),
    "look_out": _("Look out for %(who)s (%(vehicle)s)."),
    "photo": _("See where your parcel was left"),
    "next_wave": _("What happens next: the driver brings it again in the next delivery round."),
    "locker": _("What happens next: it goes to a locker near you; you will get its code."),
    "back_to_hub": _("What happens next: it goes back to the shop, which will contact you."),
    "the_courier": _("the courier"),
    "reference": _("Order %(order)s · tracking number %(number)s"),
    "website": _("Visit our shop"),
    "support": _("Help and contact"),
    "questions": _("Questions? Write to %(email)s"),
}
