"""Seeing the dance: GIF/MP4 stick figures with a ghost, an offline 3D HTML viewer, notebook display, plots.

Matplotlib and the viewer assets load only when a function that needs them runs.
"""

from pasdeux.viz.animate import animate
from pasdeux.viz.notebook import Viewer, show
from pasdeux.viz.plots import plot_loss_curves, plot_series
from pasdeux.viz.viewer import export_html, motion_payload, viewer_html

__all__ = ["animate", "show", "Viewer", "export_html", "motion_payload", "viewer_html", "plot_loss_curves",
           "plot_series"]
