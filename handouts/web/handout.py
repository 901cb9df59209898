"""The page that makes one handout: the form, and the PDF it asks for (also the contract for scripts)."""

import json

from flask import Blueprint, render_template, request

from ..base.errors import UserError
from ..compose.request import typed_language_warnings
from ..config.catalog import Catalog
from ..engine.build import file_name
from .forms import PAPERS, TRUE, HandoutForm, field_inputs, languages, sentence, validate
from .shared import load_catalog, make, pdf_response

bp = Blueprint("handout", __name__)


def form_page(catalog: Catalog, form: HandoutForm, errors: dict[str, str], status: int = 200):
    return (
        render_template(
            "index.html",
            practice=catalog.practice,
            visits=list(catalog.visits.values()),
            surgeons=sorted(catalog.surgeons.values(), key=lambda s: s.name),
            inputs=field_inputs(catalog),
            papers=PAPERS,
            languages=languages(catalog),
            form=form,
            errors=errors,
        ),
        status,
    )


@bp.get("/")
def index():
    catalog = load_catalog()
    return form_page(catalog, HandoutForm.blank(catalog), {})


@bp.post("/handout")
def pdf():
    """The form's target and the contract for scripts: form fields in, application/pdf out."""
    catalog = load_catalog()
    form = HandoutForm.parse(request.form, catalog)
    handout_request, errors = validate(catalog, form)
    if handout_request is None:
        return form_page(catalog, form, errors, 400)
    try:
        data = make(catalog, handout_request)
    except UserError as exc:
        return form_page(catalog, form, {"form": f"The handout could not be made: {exc}"}, 500)
    download = request.form.get("download", "").lower() in TRUE
    response = pdf_response(data, file_name(handout_request, "pdf"), download)
    warnings = [sentence(w) for w in typed_language_warnings(catalog, handout_request)]
    if warnings:  # shown above the handout on the page (page.js); one ASCII header line
        response.headers["X-Handout-Warnings"] = json.dumps(warnings)
    return response
