from proposals.permissions import units_of


def handling(request):
    """Whether the user is a handling unit's contact person, asked only when a
    template needs it (the navigation asks only users with no other role)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"is_unit_contact": lambda: bool(units_of(user))}
