pytest_plugins = ["sportello_devstack.pytest_plugin"]
