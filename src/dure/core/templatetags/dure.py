from django import template

from dure.directory.models import Role

register = template.Library()


@register.filter
def role_label(role: str) -> str:
    try:
        return str(Role(role).label)
    except ValueError:
        return role
