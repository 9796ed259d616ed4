from django.http import HttpResponse


def placeholder_pending(request):  # replaced by the auth/team pages
    return HttpResponse("")
