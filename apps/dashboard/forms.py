"""Forms of the sign-in, account, sandbox and team pages: input shape only; services decide."""

from django import forms
from unfold.widgets import (
    UnfoldAdminEmailInputWidget,
    UnfoldAdminPasswordWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextInputWidget,
)

from apps.accounts.enums import Role


class LoginForm(forms.Form):
    username = forms.CharField(
        label="Email",
        max_length=254,
        widget=UnfoldAdminTextInputWidget(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=UnfoldAdminPasswordWidget(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Authentication code",
        max_length=8,
        widget=UnfoldAdminTextInputWidget(
            attrs={
                "autofocus": True,
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "placeholder": "123456",
            }
        ),
        help_text="The six-digit code your authenticator app shows for Ledgerline.",
    )


class AccountSwitchForm(forms.Form):
    # Posted by the switcher's buttons, never typed.
    account = forms.CharField(max_length=64, widget=forms.HiddenInput)


class SandboxCreateForm(forms.Form):
    name = forms.CharField(
        label="Sandbox name",
        max_length=200,
        widget=UnfoldAdminTextInputWidget(attrs={"placeholder": "Staging"}),
    )


class InvitationCreateForm(forms.Form):
    email = forms.EmailField(label="Email", widget=UnfoldAdminEmailInputWidget)
    role = forms.ChoiceField(
        label="Role", choices=Role.choices, initial=Role.VIEW_ONLY, widget=UnfoldAdminSelectWidget
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices, widget=UnfoldAdminSelectWidget)

    @classmethod
    def for_member(cls, membership) -> "RoleForm":
        """The inline role picker of one row of the team list."""
        form = cls(initial={"role": membership.role}, auto_id=f"member-{membership.pk}-%s")
        form.fields["role"].widget.attrs["aria-label"] = f"Role of {membership.user.email}"
        return form


class InvitationAcceptForm(forms.Form):
    """Password for the new login; an invitee who already has a login leaves it out."""

    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=UnfoldAdminPasswordWidget(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=UnfoldAdminPasswordWidget(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, needs_password: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not needs_password:
            del self.fields["password1"]
            del self.fields["password2"]

    def clean(self):
        cleaned = super().clean()
        if "password1" in self.fields:
            first, second = cleaned.get("password1"), cleaned.get("password2")
            if first and second and first != second:
                self.add_error("password2", "The two passwords differ.")
        return cleaned

    def password(self) -> str:
        return self.cleaned_data.get("password1", "")
