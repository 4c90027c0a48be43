from django.contrib import admin

from sectors.models import Body, Committee, MemberHome, PlenarySession, Sector, SectorGroup, Term
from sectors.services import sector_group_save


@admin.register(Body)
class BodyAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("name", "short_name")


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    list_display = ("__str__", "body", "number", "starts_on", "ends_on", "is_current")
    list_filter = ("body", "is_current")
    list_select_related = ("body",)


@admin.register(PlenarySession)
class PlenarySessionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "year", "starts_on", "ends_on")
    list_filter = ("term__body", "year")
    list_select_related = ("term__body",)


class TermPartAdmin(admin.ModelAdmin):
    list_display = ("name", "term", "order")
    list_filter = ("term__body", "term")
    search_fields = ("name",)
    list_select_related = ("term__body",)


@admin.register(Sector)
class SectorAdmin(TermPartAdmin):
    pass


@admin.register(SectorGroup)
class SectorGroupAdmin(TermPartAdmin):
    list_display = ("name", "term", "convenor", "liaison", "order")
    list_select_related = ("term__body", "convenor__person", "liaison__person")
    filter_horizontal = ("sectors",)
    autocomplete_fields = ("convenor", "liaison")

    def save_model(self, request, obj, form, change):
        sector_group_save(by=request.user, group=obj)


@admin.register(Committee)
class CommitteeAdmin(TermPartAdmin):
    pass


@admin.register(MemberHome)
class MemberHomeAdmin(admin.ModelAdmin):
    list_display = ("name", "body", "address")
    list_filter = ("body",)
    search_fields = ("name", "address")
