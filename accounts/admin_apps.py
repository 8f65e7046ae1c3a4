from django.contrib.admin.apps import AdminConfig


class ServiceAdminConfig(AdminConfig):
    """The Django admin, reachable only by OTP-verified accounts with the admin role."""

    default_site = "accounts.admin_site.ServiceAdminSite"
