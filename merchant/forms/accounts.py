"""Forms of the account pages: sign-up, the shop's settings, members and API keys."""

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from merchant.models import ApiKey, Membership, Merchant, User
from merchant.services.api_keys import normalize_origin


class SignupForm(forms.Form):
    merchant_name = forms.CharField(label="Shop name", max_length=120)
    email = forms.EmailField(label="Your email")
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError("This email already has an account: sign in instead.")
        return email

    def clean(self) -> dict:
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            try:
                password_validation.validate_password(p1, User(email=data.get("email", "")))
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class MerchantSettingsForm(forms.ModelForm):
    class Meta:
        model = Merchant
        fields = ["name", "time_zone", "currency", "unit_system", "brand_color", "logo"]
        widgets = {"brand_color": forms.TextInput(attrs={"type": "color"})}
        help_texts = {
            "time_zone": "Times in the dashboard, cut-offs and pick lists use this zone.",
            "unit_system": "How weights and sizes read on pages, packing slips and labels "
            "(stored the same either way).",
            "brand_color": "Accent colour of the dashboard, tracking page and checkout widget.",
        }


class AddMemberForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.STAFF)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="Where you use it, e.g. “Shop backend”.")
    kind = forms.ChoiceField(choices=ApiKey.Kind.choices, initial=ApiKey.Kind.SECRET)
    allowed_origins = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "https://shop.example.com"}),
        help_text="Publishable keys only: the web sites allowed to use it, one per line.",
    )

    def clean_allowed_origins(self) -> list[str]:
        lines = [line for line in self.cleaned_data["allowed_origins"].splitlines() if line.strip()]
        return [normalize_origin(line) for line in lines]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("kind") == ApiKey.Kind.PUBLISHABLE and not data.get("allowed_origins"):
            self.add_error("allowed_origins", "A publishable key needs at least one origin.")
        if data.get("kind") == ApiKey.Kind.SECRET and data.get("allowed_origins"):
            self.add_error("allowed_origins", "A secret key is used from servers, not origins.")
        return data
