"""PlanoCore: the project package and the platform app."""

from planocore.celery import app as celery_app

__all__ = ("celery_app",)
