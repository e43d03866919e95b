from django.conf import settings
from django.http import JsonResponse


class ApiBodyLimitMiddleware:
    """413 for an API request whose body is larger than API_MAX_BODY_BYTES, before anything reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return JsonResponse(
                    {"errors": [{"path": "Content-Length", "message": "not a number"}]}, status=400
                )
            if length > settings.API_MAX_BODY_BYTES:
                return JsonResponse(
                    {"error": f"The request body is larger than {settings.API_MAX_BODY_BYTES} bytes."},
                    status=413,
                )
        return self.get_response(request)
