"""MediationDesk (调解工作台): a Qt-free core with the desktop program in desktop.ui."""

__version__ = "0.1.0"
