"""Public assembly checker page: is an assembly validly convened, does an item pass."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def assembly_check(request: HttpRequest) -> HttpResponse:
    return render(request, "governance/check.html", {})
