from levee.agents.on_behalf import OnBehalfEnded

from .on_behalf import ended_response


class OnBehalfMiddleware:
    """Every page of the space (and every view that reaches an account through its access
    helpers) answers the same « access ended » page once an agent's marker no longer holds,
    instead of falling back to the agent's own accounts."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OnBehalfEnded):
            return ended_response(request)
        return None
