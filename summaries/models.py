from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExportJobQuerySet(models.QuerySet):
    def active(self):
        """Jobs a worker has still to finish: queued or running."""
        return self.filter(status__in=ExportJob.ACTIVE)

    def of(self, user):
        """The user's own jobs: nobody else sees them or their files."""
        return self.filter(requested_by=user)


class ExportJob(models.Model):
    """An export too big to download at once (summaries.exports), written by a
    worker (summaries.jobs.export_job_run): who asked for what with which
    filters, how far it got, and the finished file, which lives in the private
    EXPORT_FILES_ROOT until `expires_at` and is served only to its requester."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")
        EXPIRED = "expired", _("已过期")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(_("导出内容"), max_length=20)
    label = models.CharField(_("名称"), max_length=100)
    params = models.JSONField(_("筛选条件"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    done = models.PositiveIntegerField(_("已写入行数"), default=0)
    total = models.PositiveIntegerField(_("总行数"), default=0)
    # The finished file, relative to EXPORT_FILES_ROOT; empty until done.
    file_name = models.CharField(_("文件"), max_length=200, blank=True, default="")
    download_name = models.CharField(_("下载文件名"), max_length=200, blank=True, default="")
    size = models.PositiveBigIntegerField(_("文件大小"), default=0)
    message = models.CharField(_("说明"), max_length=500, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    # host:pid:token of the run in progress; a worker writes only a job it runs.
    runner = models.CharField(_("执行进程"), max_length=120, blank=True, default="")
    created_at = models.DateTimeField(_("发起时间"), default=timezone.now)
    queued_at = models.DateTimeField(_("排队时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("最近心跳"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("文件保留至"), null=True, blank=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("导出任务")
        verbose_name_plural = _("导出任务")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(done__lte=models.F("total")), name="export_job_done_within_total"
            ),
            # A job marked done always has its file: the file is in place first.
            models.CheckConstraint(
                condition=~Q(status="done") | ~Q(file_name=""), name="export_job_done_has_file"
            ),
        ]
        indexes = [
            models.Index(fields=["requested_by", "created_at"], name="export_job_user_created"),
            models.Index(fields=["status", "expires_at"], name="export_job_status_expires"),
        ]

    def __str__(self):
        return f"{self.label} {self.status} {self.done}/{self.total}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return self.done * 100 // self.total if self.total else 0
