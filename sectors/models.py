"""The organisation of a CPPCC body: its terms, plenary sessions, sectors,
sector groups, special committees and member homes."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Body(models.Model):
    class Level(models.TextChoices):
        NATIONAL = "national", _("全国")
        PROVINCE = "province", _("省级")
        CITY = "city", _("市级")
        COUNTY = "county", _("县(市、区)级")

    name = models.CharField(_("名称"), max_length=100, unique=True)
    short_name = models.CharField(_("简称"), max_length=30, blank=True)
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级政协"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = _("政协")
        verbose_name_plural = _("政协")
        ordering = ["id"]

    def __str__(self):
        return self.name

    def current_term(self):
        return self.terms.filter(is_current=True).first()


class Term(models.Model):
    body = models.ForeignKey(
        Body, verbose_name=_("政协"), on_delete=models.PROTECT, related_name="terms"
    )
    number = models.PositiveSmallIntegerField(_("届次"))
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    is_current = models.BooleanField(_("本届"), default=False)

    class Meta:
        verbose_name = _("届")
        verbose_name_plural = _("届")
        ordering = ["body", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["body", "number"], name="term_number_unique_in_body"),
            models.UniqueConstraint(
                fields=["body"], condition=Q(is_current=True), name="one_current_term_per_body"
            ),
        ]

    def __str__(self):
        return f"{self.body.short_name or self.body.name} 第{self.number}届"


class PlenarySession(models.Model):
    """A yearly plenary session (全体会议) of a term. Named so to keep it apart from
    web sessions."""

    term = models.ForeignKey(
        Term, verbose_name=_("届"), on_delete=models.CASCADE, related_name="sessions"
    )
    number = models.PositiveSmallIntegerField(_("次"))
    year = models.PositiveSmallIntegerField(_("年度"))
    starts_on = models.DateField(_("开幕日期"))
    ends_on = models.DateField(_("闭幕日期"))

    class Meta:
        verbose_name = _("全体会议")
        verbose_name_plural = _("全体会议")
        ordering = ["term", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["term", "number"], name="session_number_unique_in_term"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="session_ends_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.term} 第{self.number}次会议"


class Sector(models.Model):
    term = models.ForeignKey(
        Term, verbose_name=_("届"), on_delete=models.CASCADE, related_name="sectors"
    )
    name = models.CharField(_("界别"), max_length=50)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("界别")
        verbose_name_plural = _("界别")
        ordering = ["term", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["term", "name"], name="sector_name_unique_in_term")
        ]

    def __str__(self):
        return self.name


class SectorGroup(models.Model):
    term = models.ForeignKey(
        Term, verbose_name=_("届"), on_delete=models.CASCADE, related_name="sector_groups"
    )
    name = models.CharField(_("界别小组"), max_length=50)
    sectors = models.ManyToManyField(
        Sector, verbose_name=_("所含界别"), related_name="groups", blank=True
    )
    convenor = models.ForeignKey(
        "members.Member",
        verbose_name=_("召集人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="convened_groups",
    )
    liaison = models.ForeignKey(
        "members.Member",
        verbose_name=_("联络员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="liaised_groups",
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("界别小组")
        verbose_name_plural = _("界别小组")
        ordering = ["term", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["term", "name"], name="group_name_unique_in_term")
        ]

    def __str__(self):
        return self.name


class Committee(models.Model):
    """A special committee (专门委员会); members sit on it through Member.committees."""

    term = models.ForeignKey(
        Term, verbose_name=_("届"), on_delete=models.CASCADE, related_name="committees"
    )
    name = models.CharField(_("专门委员会"), max_length=50)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("专门委员会")
        verbose_name_plural = _("专门委员会")
        ordering = ["term", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["term", "name"], name="committee_name_unique_in_term")
        ]

    def __str__(self):
        return self.name


class MemberHome(models.Model):
    """A member home (委员之家): a venue that hosts activities and consultations."""

    body = models.ForeignKey(
        Body, verbose_name=_("政协"), on_delete=models.CASCADE, related_name="member_homes"
    )
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("委员之家")
        verbose_name_plural = _("委员之家")
        ordering = ["body", "name"]
        constraints = [
            models.UniqueConstraint(fields=["body", "name"], name="home_name_unique_in_body")
        ]

    def __str__(self):
        return self.name
