"""Settings for the load benchmark's server only: the app's own settings, with a URL configuration that adds a
bare login-required view (the baseline every page is compared with). Never used by the product."""

from slowtaper.settings import *  # noqa: F403

ROOT_URLCONF = "loadurls"
