"""The public education library."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from slowtaper.taper import TaperError, catalogue

from . import library


def index(request: HttpRequest) -> HttpResponse:
    drugs = sorted(catalogue().drugs.values(), key=lambda d: d.name)
    return render(request, "community/learn_index.html", {"pages": library.pages().values(), "drugs": drugs})


def page(request: HttpRequest, slug: str) -> HttpResponse:
    found = library.pages().get(slug)
    if found is None:
        raise Http404
    return render(request, "community/learn_page.html", {"page": found})


def drug(request: HttpRequest, drug_id: str) -> HttpResponse:
    try:
        data = library.drug_page(drug_id)
    except (TaperError, KeyError):
        raise Http404 from None
    return render(request, "community/learn_drug.html", data)
