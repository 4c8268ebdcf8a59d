"""Running the build: plan, execute the notebooks with papermill, build the HTML, publish."""
