import django_filters
from django.db.models import Q, QuerySet

from users.models import Role, User


class UserFilterSet(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(
        choices=Role.choices, help_text="Only this role."
    )
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=254,
        help_text="Case-insensitive match on email or username.",
    )

    class Meta:
        model = User
        fields = ["role", "search"]

    def filter_search(
        self, queryset: QuerySet[User], name: str, value: str
    ) -> QuerySet[User]:
        return queryset.filter(Q(email__icontains=value) | Q(username__icontains=value))
