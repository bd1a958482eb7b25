"""PlanoCore's admin site: django-unfold's theme, its own name, and the operations dashboard on the index.

Installed as the default admin site (`planocore.apps.PlanocoreAdminConfig`), so
`admin.site` and every `@admin.register` use it. The sidebar, badges, favicon and
environment label are unfold's, configured in settings.UNFOLD
(planocore/admin_navigation.py).
"""

from unfold.sites import UnfoldAdminSite

from planocore.dashboard import dashboard


class PlanoCoreAdminSite(UnfoldAdminSite):
    site_header = "PlanoCore"
    site_title = "PlanoCore admin"
    index_title = "Operations"
    index_template = "admin/planocore/index.html"

    def index(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        # The dashboard reads the outbox; staff who may not see it get the plain index.
        if request.user.has_perm("outbox.view_externalrequest"):
            extra_context["dashboard"] = dashboard()
        return super().index(request, extra_context=extra_context)
