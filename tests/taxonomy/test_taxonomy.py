"""Categories per eBay site and the attributes companies fill in: the
agency's mapping, overrides, search, validation, rendering and explanations
(pure: no I/O beyond reading the shipped files)."""

from __future__ import annotations

import pytest

from emulators.amazon.product_types import PRODUCT_TYPES, build_schema
from emulators.ebay.state import SITES, categories_file, load_categories
from export_hub.brand.amazon import render_amazon
from export_hub.brand.ebay import render_ebay
from export_hub.brand.preflight import preflight
from export_hub.catalog.attributes import marketplace_form
from export_hub.catalog.taxonomy import ebay_category_id, load_taxonomy
from export_hub.catalog.validation import clean_product
from export_hub.errors import ValidationFailed
from export_hub.listings.explain import explain, field_labels, form_field
from tests.brand.factories import BASE_URL, brand_config, listing_input
from tests.foundation.helpers import product_values

TAXONOMY = load_taxonomy()


def test_the_category_comes_from_the_mapping_per_site_and_an_override_wins() -> None:
    by_site = {s: ebay_category_id(TAXONOMY, "cookware", {}, s) for s in SITES}
    assert by_site == {
        "EBAY_US": "20636",
        "EBAY_GB": "36027",
        "EBAY_DE": "36029",
        "EBAY_AU": "20636",
    }
    # The Korean name picks the same category (older products kept free text).
    assert (
        ebay_category_id(TAXONOMY, "조리도구 (냄비·프라이팬)", {}, "EBAY_GB") == "36027"
    )
    overrides = {"EBAY_GB": "99999"}
    assert ebay_category_id(TAXONOMY, "cookware", overrides, "EBAY_GB") == "99999"
    assert ebay_category_id(TAXONOMY, "cookware", overrides, "EBAY_US") == "20636"
    assert ebay_category_id(TAXONOMY, "unknown words", {}, "EBAY_US") == ""


@pytest.mark.parametrize("site", SITES)
def test_the_agencys_mapping_agrees_with_the_marketplaces_tree(site: str) -> None:
    tree = load_categories(categories_file(site))
    for category in TAXONOMY.categories:
        mapped = category.ebay[site]
        leaf = tree[mapped.id]
        assert leaf.leaf, (site, mapped.id)
        assert set(mapped.required) == set(leaf.required_aspects), (site, mapped.id)
        for name, allowed in leaf.aspect_values.items():
            assert set(mapped.values.get(name, ())) <= set(allowed), (site, name)


def test_the_amazon_product_types_agree_with_their_schemas() -> None:
    for product_type in TAXONOMY.product_types:
        schema = build_schema(PRODUCT_TYPES[product_type.name], "ATVPDKIKX0DER")
        for choice in product_type.attributes:
            prop = schema["properties"][choice.name]
            assert (choice.name in schema["required"]) == choice.required
            value = prop["items"]["properties"]["value"]
            assert list(choice.values) == value.get("enum", [])
            localized = "language_tag" in prop["items"]["properties"]
            assert localized == (choice.name in product_type.localized)


def test_search_finds_categories_and_product_types_by_korean_and_english_words() -> (
    None
):
    assert [h.value for h in TAXONOMY.search_categories("냄비")] == ["cookware"]
    assert [h.value for h in TAXONOMY.search_categories("Frying pan")] == []
    assert [h.value for h in TAXONOMY.search_categories("pots")] == ["cookware"]
    assert "tumblers" in [h.value for h in TAXONOMY.search_categories("텀블러")]
    assert [h.value for h in TAXONOMY.search_categories("Thermobecher")] == ["tumblers"]
    assert [h.value for h in TAXONOMY.search_product_types("수건")] == [
        "HOME_BED_AND_BATH"
    ]
    assert [h.value for h in TAXONOMY.search_product_types("tumbler")] == [
        "DRINKING_CUP"
    ]
    assert TAXONOMY.search_categories("   ") == []


def test_the_form_asks_for_the_required_aspects_with_their_choices() -> None:
    form = marketplace_form(TAXONOMY, {"category": "cookware"})
    material = next(f for f in form.ebay if f.choice.name == "Material")
    assert material.key == "ebay_attr-material"
    assert material.choice.label.ko == "재질"
    assert material.required_by == SITES
    assert "Stainless Steel" in material.choice.values
    assert "Brand" not in {f.choice.name for f in form.ebay}  # filled in for them
    # DE requires Type; the others only recommend it.
    kind = next(f for f in form.ebay if f.choice.name == "Type")
    assert kind.required_by == ("EBAY_DE",)
    assert form.amazon == ()


def test_a_value_outside_the_allowed_choices_is_refused_in_both_languages() -> None:
    values = product_values(
        category="cookware",
        ebay_categories="{}",
        marketplace_attributes='{"ebay": {"Material": "Wood"}}',
    )
    with pytest.raises(ValidationFailed) as caught:
        clean_product(values)
    error = caught.value.fields["ebay_attr-material"]
    assert "골라" in error.ko
    assert "allowed values" in error.en
    values["marketplace_attributes"] = '{"ebay": {"Material": "Stainless Steel"}}'
    fields = clean_product(values)
    assert fields.marketplace_attributes == {"ebay": {"Material": "Stainless Steel"}}
    assert fields.category == "cookware"


def test_amazon_choices_and_unknown_sites_are_checked() -> None:
    values = product_values(
        amazon_product_type="DRINKING_CUP",
        ebay_categories='{"EBAY_XX": "1", "EBAY_GB": "12a"}',
        marketplace_attributes='{"amazon": {"item_type_keyword": "spoons"}}',
    )
    with pytest.raises(ValidationFailed) as caught:
        clean_product(values)
    assert set(caught.value.fields) >= {
        "ebay_categories",
        "ebay_category-EBAY_GB",
        "amazon_attr-item-type-keyword",
    }


def test_the_renderers_send_the_sites_category_and_the_companys_values() -> None:
    product_kw = {
        "category": "cookware",
        "ebay_categories": {},
        "amazon_product_type": "DRINKING_CUP",
        "marketplace_attributes": {
            "ebay": {"Material": "Stainless Steel"},
            "amazon": {"material": "Stainless Steel", "item_type_keyword": "tumblers"},
        },
    }
    gb = listing_input(
        "ebay", product_kw=product_kw, seller_kw={"marketplace_id": "EBAY_GB"}
    )
    body = render_ebay(brand_config(), gb, public_base_url=BASE_URL).body
    assert body["offer"]["categoryId"] == "36027"
    assert body["inventory_item"]["product"]["aspects"]["Material"] == [
        "Stainless Steel"
    ]
    assert body["inventory_item"]["product"]["aspects"]["Brand"] != ["Stainless Steel"]
    amazon = listing_input("amazon", product_kw=product_kw)
    attributes = render_amazon(brand_config(), amazon, public_base_url=BASE_URL).body[
        "attributes"
    ]
    assert attributes["material"] == [
        {
            "value": "Stainless Steel",
            "marketplace_id": "ATVPDKIKX0DER",
            "language_tag": "en_US",
        }
    ]
    assert attributes["item_type_keyword"] == [
        {"value": "tumblers", "marketplace_id": "ATVPDKIKX0DER"}
    ]


def test_preflight_names_the_missing_aspect_and_explain_points_at_its_field() -> None:
    listing = listing_input(
        "ebay", product_kw={"category": "cookware", "ebay_categories": {}}
    )
    result = preflight(brand_config(), listing, public_base_url=BASE_URL)
    issue = next(i for i in result.issues if i.code == "PREFLIGHT_EBAY_ASPECT_MISSING")
    assert issue.attribute_names == ("Material",)
    assert form_field(issue.attribute_names) == "ebay_attr-material"
    assert field_labels(issue.attribute_names, "ko") == ["재질 (Material)"]
    assert field_labels(issue.attribute_names, "en") == ["Material"]
    explained = explain("ebay", issue.code)
    assert explained.owner == "company"
    assert "item specifics" in explained.action.en
    # eBay's own answer names the aspect the same way (parameters.aspectName).
    assert form_field(("Material",)) == "ebay_attr-material"
    assert form_field(("material",)) == "amazon_attr-material"
    assert form_field(("categoryId",)) == "category"
