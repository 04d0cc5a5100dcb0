"""Running the dashboard as several replicas behind nginx on one PostgreSQL store.

``python -m deploy.local`` (or ``deploy/up``) starts the whole set on this machine; the
nginx site configuration comes from ``deploy/nginx-site.conf.template``; ``deploy/systemd/``
holds units for running it for real. README.md's "More than one machine" explains it.
"""
