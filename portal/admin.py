from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User

from portal.models import StaffProfile


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    autocomplete_fields = ["agency", "department"]


admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = [StaffProfileInline]
    list_display = ["username", "first_name", "last_name", "staff_agency", "is_active"]
    list_select_related = ["staff_profile__agency"]
    list_filter = ["is_active", "groups", "staff_profile__agency"]

    @admin.display(description=StaffProfile._meta.get_field("agency").verbose_name)
    def staff_agency(self, user: User) -> str:
        profile = getattr(user, "staff_profile", None)
        return str(profile.agency) if profile else "—"
