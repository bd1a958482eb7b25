"""PlanoCore's admin site: its own name, and the operations dashboard on the index.

Installed as the default admin site (`planocore.apps.PlanocoreAdminConfig`), so
`admin.site` and every `@admin.register` use it.
"""

from django.contrib import admin

from planocore.dashboard import dashboard


class PlanoCoreAdminSite(admin.AdminSite):
    site_header = "PlanoCore"
    site_title = "PlanoCore admin"
    index_title = "Operations"
    index_template = "admin/planocore/index.html"
    # The app list beside every page takes a third of a laptop screen from the lists;
    # the index and the breadcrumbs lead everywhere.
    enable_nav_sidebar = False

    def index(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        # The dashboard reads the outbox; staff who may not see it get the plain index.
        if request.user.has_perm("outbox.view_externalrequest"):
            extra_context["dashboard"] = dashboard()
        return super().index(request, extra_context=extra_context)
