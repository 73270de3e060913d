"""The member's data rights pages: download everything, and erase the account."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from slowtaper import rights
from slowtaper.accounts.access import require_role
from slowtaper.accounts.models import Role, User

from . import alerts

# The words to type, in the reader's language (English is always accepted too).
CONFIRM = gettext_lazy("erase my account")


class EraseForm(forms.Form):
    password = forms.CharField(label=gettext_lazy("Your password"), widget=forms.PasswordInput)
    confirm = forms.CharField(
        label=format_lazy(gettext_lazy("Type the words “{}”"), CONFIRM),
        help_text=gettext_lazy("This cannot be undone. Download your data first if you may want it."),
    )

    def __init__(self, *args: object, member: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.member = member

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.member.check_password(password):
            raise forms.ValidationError(_("That is not your password."))
        return password

    def clean_confirm(self) -> str:
        text: str = self.cleaned_data["confirm"]
        if " ".join(text.lower().split()) not in (str(CONFIRM), "erase my account"):
            raise forms.ValidationError(_("Type exactly: %(words)s") % {"words": CONFIRM})
        return text


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    member = require_role(request, Role.MEMBER)
    form = EraseForm(member=member)
    return render(request, "programs/my_data.html", {"form": form})


@login_required
def my_data_download(request: HttpRequest) -> HttpResponse:
    member = require_role(request, Role.MEMBER)
    response = HttpResponse(rights.archive(member), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="slowtaper-my-data.zip"'
    return response


@login_required
@require_POST
def erase_account(request: HttpRequest) -> HttpResponse:
    member = require_role(request, Role.MEMBER)
    form = EraseForm(request.POST, member=member)
    if not form.is_valid():
        return render(request, "programs/my_data.html", {"form": form}, status=400)
    clinician = member.carer(Role.CLINICIAN)
    if clinician is not None:
        alerts.notify(
            [clinician],
            gettext_lazy("slowtaper: a member closed their account"),
            gettext_lazy(
                "%(member)s has erased their slowtaper account. Their plan and check-ins are no longer held by us."
            ),
            {"member": member},
        )
    rights.erase(member)
    logout(request)
    messages.success(request, _("Your account and everything in it have been erased. Take good care."))
    return redirect("login")
