"""The printable day-of sheet (placeholder: being built)."""

from django.http import Http404
from django.views import View


class SheetRequestView(View):
    def post(self, request, pk):
        raise Http404


class SheetDownloadView(View):
    def get(self, request, pk):
        raise Http404
