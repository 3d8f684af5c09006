"""Listing issues explained to people, in Korean and English.

:func:`explain` turns a marketplace (or pre-flight) issue code into what is
wrong, who must act (``company`` or ``staff``) and what to do, and whether a
person is needed at all — in which case automatic retries pause
(:func:`pause_until`, 24 h by default, ``[sync] needs_human_pause_hours`` in
``config/brand.toml``). Codes not listed here get a generic text that quotes
the marketplace's own message.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from export_hub.catalog.attributes import field_key
from export_hub.catalog.taxonomy import load_taxonomy
from export_hub.errors import Text

Owner = Literal["company", "staff"]


@dataclass(frozen=True)
class Explanation:
    """What a person needs to know about one issue."""

    code: str
    what: Text
    action: Text
    owner: Owner
    #: A person must act; automatic retries pause meanwhile.
    needs_human: bool = True
    #: The marketplace's own message, kept verbatim for the generic case.
    marketplace_message: str = ""
    #: The staff page where the fix is made (``{company_id}`` filled in by
    #: :meth:`staff_url`), if there is one.
    staff_link: str = ""

    def summary(self, lang: str = "ko") -> str:
        return f"{self.what.get(lang)} {self.action.get(lang)}"

    def staff_url(self, company_id: int) -> str:
        """The staff page for this issue of ``company_id``'s listing, or ``""``."""
        return self.staff_link.format(company_id=company_id)


def _e(
    what_ko: str,
    what_en: str,
    do_ko: str,
    do_en: str,
    owner: Owner,
    needs_human: bool = True,
) -> tuple[Text, Text, Owner, bool]:
    return Text(what_ko, what_en), Text(do_ko, do_en), owner, needs_human


_RECONNECT = (
    "마켓플레이스 판매자 계정 연결에서 다시 인증해 주세요.",
    "Reconnect the seller account (Marketplaces → reconnect).",
)

AMAZON: dict[str, tuple[Text, Text, Owner, bool]] = {
    "8566": _e(
        "GTIN(바코드)이 입력한 브랜드와 맞지 않아 아마존이 거절했습니다.",
        "Amazon rejected the GTIN: it does not match the brand given.",
        "GS1에 등록된 바코드 소유자와 브랜드를 확인하거나 GTIN 면제를 신청해 주세요.",
        "Check the barcode's GS1 owner is the brand, or apply for a GTIN exemption.",
        "company",
    ),
    "8572": _e(
        "GTIN(UPC/EAN)이 GS1 데이터베이스의 소유자 정보와 일치하지 않습니다.",
        "The GTIN (UPC/EAN) does not match its owner in the GS1 database.",
        "GS1 Korea에서 발급받은 회사의 바코드를 사용하거나 GTIN 면제를 신청해 주세요.",
        "Use a barcode licensed to your company by GS1, or apply for a GTIN exemption.",
        "company",
    ),
    "5461": _e(
        "이 판매자 계정은 해당 브랜드로 등록할 승인을 받지 않았습니다.",
        "This seller account is not approved to list under this brand.",
        "기관 담당자가 브랜드 승인(브랜드 레지스트리 권한 부여)을 요청합니다.",
        "Agency staff request brand approval (authorise the seller in Brand Registry).",
        "staff",
    ),
    "8571": _e(
        "이번 주 신규 ASIN 등록 한도를 넘었습니다.",
        "The weekly limit of new ASINs for this seller was reached.",
        "다음 주에 다시 등록합니다. 급하면 기관 담당자가 한도 상향을 요청합니다.",
        "It is retried next week; staff may ask Amazon for a higher limit.",
        "staff",
    ),
    "90220": _e(
        "필수 속성이 빠져 있습니다.",
        "A required attribute is missing.",
        "제품 정보에서 표시된 항목을 채워 다시 제출해 주세요.",
        "Fill in the attribute named below in the product form and resubmit.",
        "company",
    ),
    "99001": _e(
        "필수 항목의 값이 없습니다.",
        "A value is required for a field.",
        "표시된 항목의 값을 입력해 주세요.",
        "Enter a value for the field named below.",
        "company",
    ),
    "99010": _e(
        "항목 값의 형식이 올바르지 않습니다.",
        "A field's value has the wrong format.",
        "표시된 항목을 올바른 형식으로 고쳐 주세요.",
        "Correct the format of the field named below.",
        "company",
    ),
    "5665": _e(
        "이 판매자 계정은 해당 브랜드로 등록할 승인을 받지 않았습니다.",
        "This seller account is not approved to list under this brand.",
        "기관 담당자가 셀러 센트럴에서 브랜드 승인을 요청하거나, 기업 페이지에서"
        " 이 회사의 브랜딩 방식(공동 브랜드/이중 브랜드)을 바꿉니다.",
        "Staff request brand approval in Seller Central, or change this company's"
        " branding mode (co-brand or dual) on the company's staff page.",
        "staff",
    ),
    "4000000": _e(
        "대량 등록 파일(피드)을 아마존이 읽지 못했습니다.",
        "Amazon could not read the bulk listing feed.",
        "기관 담당자가 작업 기록을 확인합니다. 다음 동기화가 다시 보냅니다.",
        "Staff check the job log; the next sync sends it again.",
        "staff",
    ),
    "4000001": _e(
        "상품 유형 스키마가 허용하지 않는 값입니다.",
        "A value is not accepted by the product type schema.",
        "표시된 항목의 값을 허용된 값으로 고쳐 주세요.",
        "Change the value of the field named below to an accepted one.",
        "company",
    ),
    "4000003": _e(
        "이 마켓에서 쓸 수 없는 아마존 상품 유형입니다.",
        "The Amazon product type is not valid for this marketplace.",
        "기관 담당자가 올바른 상품 유형을 지정합니다.",
        "Staff assign a valid product type.",
        "staff",
    ),
    "4000004": _e(
        "아마존에 아직 없는 상품을 부분 수정하려 했습니다.",
        "A partial update was sent for a listing Amazon does not have yet.",
        "다음 동기화가 전체 내용을 다시 보냅니다.",
        "The next sync sends the full listing.",
        "staff",
        False,
    ),
    "HANGUL_IN_CONTENT": _e(
        "영문 내용에 한글이 들어 있습니다.",
        "The English content contains Korean text.",
        "표시된 항목을 영어로만 작성해 주세요.",
        "Write the fields named below in English only.",
        "company",
    ),
    "FATAL": _e(
        "아마존이 대량 등록 처리를 중단했습니다.",
        "Amazon stopped processing the bulk feed.",
        "기관 담당자가 작업 기록을 확인합니다. 다음 동기화가 다시 보냅니다.",
        "Staff check the job log; the next sync sends it again.",
        "staff",
    ),
    "BRAND_NOT_APPROVED": _e(
        "이 판매자 계정은 해당 브랜드를 사용할 수 없습니다.",
        "This seller may not use the brand.",
        "기관 담당자가 브랜드 승인을 요청하거나 기업 페이지에서 브랜딩 방식을"
        " 바꿉니다.",
        "Staff request brand approval or change the branding mode on the"
        " company's staff page.",
        "staff",
    ),
}

EBAY: dict[str, tuple[Text, Text, Owner, bool]] = {
    "21919303": _e(
        "카테고리에 필요한 상품 세부 정보(item specific)가 빠져 있습니다.",
        "An item specific required by the eBay category is missing.",
        "표시된 세부 정보(예: 소재, 색상)를 제품 정보에 입력해 주세요.",
        "Add the item specific named below (e.g. material, colour) to the product.",
        "company",
    ),
    "37": _e(
        "eBay가 입력 값 일부를 받아들이지 않았습니다.",
        "eBay found invalid data in the listing.",
        "eBay 메시지에 나온 항목을 고쳐 주세요.",
        "Correct the field named in eBay's message.",
        "company",
    ),
    "21916750": _e(
        "이 eBay 리스팅은 이미 종료되었습니다.",
        "This eBay listing has already ended.",
        "다음 동기화 때 새로 등록합니다. 조치가 필요하지 않습니다.",
        "The next sync lists it again; nothing to do.",
        "staff",
        False,
    ),
    "518": _e(
        "eBay 일일 API 호출 한도를 다 썼습니다.",
        "eBay's daily API call limit was reached.",
        "한도가 초기화되면 자동으로 이어서 처리합니다.",
        "Work resumes automatically when the quota resets.",
        "staff",
        False,
    ),
    "931": _e(
        "eBay 인증 토큰이 유효하지 않습니다.",
        "The eBay authorisation token is invalid.",
        *_RECONNECT,
        "company",
    ),
    "932": _e(
        "eBay 인증 토큰이 만료되었습니다.",
        "The eBay authorisation token has expired.",
        *_RECONNECT,
        "company",
    ),
    "21916587": _e(
        "eBay 제목이 너무 깁니다.",
        "The eBay title is too long.",
        "기관 담당자가 제목 템플릿(config/brand.toml)을 확인합니다.",
        "Staff check the title template (config/brand.toml).",
        "staff",
    ),
    "2001": _e(
        "eBay가 호출 속도를 제한했습니다.",
        "eBay throttled the calls.",
        "자동으로 천천히 다시 시도합니다.",
        "It is retried automatically, more slowly.",
        "staff",
        False,
    ),
    "25015": _e(
        "사진 주소를 eBay가 가져오지 못했습니다.",
        "eBay could not fetch a picture URL.",
        "기관 담당자가 공개 주소(web.public_base_url) 설정을 확인합니다.",
        "Staff check the public address setting (web.public_base_url).",
        "staff",
    ),
    "25016": _e(
        "입력 항목 하나가 올바르지 않습니다.",
        "A field is invalid.",
        "eBay 메시지에 나온 항목을 고쳐 주세요.",
        "Correct the field named in eBay's message.",
        "company",
    ),
    "25020": _e(
        "포장 무게·크기 정보가 올바르지 않습니다.",
        "The package weight or dimensions are invalid.",
        "제품의 무게와 크기를 확인해 주세요.",
        "Check the product's weight and dimensions.",
        "company",
    ),
    "25022": _e(
        "상품 세부 정보(aspect) 값이 올바르지 않습니다.",
        "An item specific (aspect) is invalid.",
        "표시된 세부 정보를 고쳐 주세요.",
        "Correct the item specific named below.",
        "company",
    ),
    "25029": _e(
        "이 카테고리에 필요한 항목이 빠져 있습니다.",
        "A field required by the category is missing.",
        "표시된 항목(예: 소재, 색상)을 제품 정보에 입력해 주세요.",
        "Add the field named below (e.g. material, colour) to the product.",
        "company",
    ),
    "25035": _e(
        "지정한 판매 정책을 이 마켓에서 찾을 수 없습니다.",
        "A business policy was not found for this marketplace.",
        "기관 담당자가 판매자 계정의 정책을 다시 설정합니다.",
        "Staff set the seller account's policies up again.",
        "staff",
    ),
    "25702": _e(
        "eBay에 이 SKU의 재고 항목이 없습니다.",
        "eBay has no inventory item for this SKU.",
        "다음 동기화가 다시 만듭니다.",
        "The next sync creates it again.",
        "staff",
        False,
    ),
    "25713": _e(
        "이 eBay 오퍼를 더 이상 쓸 수 없습니다.",
        "This eBay offer is no longer available.",
        "다음 동기화가 새로 만듭니다.",
        "The next sync creates a new one.",
        "staff",
        False,
    ),
    "25715": _e(
        "무게와 크기 정보가 올바르지 않습니다.",
        "The weight and dimensions are invalid.",
        "제품의 무게와 크기를 확인해 주세요.",
        "Check the product's weight and dimensions.",
        "company",
    ),
    "25001": _e(
        "eBay 시스템 오류입니다.",
        "eBay had a system error.",
        "자동으로 다시 시도합니다.",
        "It is retried automatically.",
        "staff",
        False,
    ),
    "25002": _e(
        "eBay가 요청 내용을 거절했습니다.",
        "eBay rejected the request.",
        "eBay 메시지를 확인하고 제품 정보를 고쳐 주세요.",
        "Read eBay's message and correct the product.",
        "company",
    ),
    "25003": _e(
        "가격이 올바르지 않습니다.",
        "The price is invalid.",
        "기관 담당자가 가격 설정(환율·수수료)을 확인합니다.",
        "Staff check the pricing (exchange rate, fees).",
        "staff",
    ),
    "25004": _e(
        "수량이 올바르지 않습니다.",
        "The quantity is invalid.",
        "제품 재고 수량을 확인해 주세요.",
        "Check the product's stock quantity.",
        "company",
    ),
    "25005": _e(
        "eBay 카테고리가 올바르지 않습니다.",
        "The eBay category is invalid.",
        "기관 담당자가 올바른 eBay 카테고리를 지정합니다.",
        "Staff assign a valid eBay category.",
        "staff",
    ),
    "25007": _e(
        "배송 정책 정보가 올바르지 않습니다.",
        "The shipping (fulfillment) policy is invalid.",
        "기관 담당자가 판매자 계정의 배송 정책을 설정합니다.",
        "Staff set up the seller account's fulfillment policy.",
        "staff",
    ),
    "25008": _e(
        "결제 정책 정보가 올바르지 않습니다.",
        "The payment policy is invalid.",
        "기관 담당자가 판매자 계정의 결제 정책을 설정합니다.",
        "Staff set up the seller account's payment policy.",
        "staff",
    ),
    "25009": _e(
        "반품 정책 정보가 올바르지 않습니다.",
        "The return policy is invalid.",
        "기관 담당자가 판매자 계정의 반품 정책을 설정합니다.",
        "Staff set up the seller account's return policy.",
        "staff",
    ),
    "25014": _e(
        "제품 사진이 올바르지 않습니다.",
        "The pictures are invalid.",
        "500px 이상의 선명한 사진을 다시 올려 주세요.",
        "Upload clear pictures of at least 500 px again.",
        "company",
    ),
    "25021": _e(
        "상품 상태 정보가 카테고리에 맞지 않습니다.",
        "The item condition is not valid for the category.",
        "제품 상태(새 상품/중고)를 확인해 주세요.",
        "Check the product's condition (new/used).",
        "company",
    ),
    "25025": _e(
        "같은 재고를 동시에 수정하려 했습니다.",
        "The inventory item was being changed concurrently.",
        "자동으로 다시 시도합니다.",
        "It is retried automatically.",
        "staff",
        False,
    ),
    "25026": _e(
        "판매자 계정의 판매 한도를 넘었습니다.",
        "The seller's selling limits were exceeded.",
        "eBay 판매 한도 상향을 신청해 주세요.",
        "Ask eBay to raise the account's selling limits.",
        "company",
    ),
}

PREFLIGHT: dict[str, tuple[Text, Text, Owner, bool]] = {
    "PREFLIGHT_BRAND_NOT_APPROVED": _e(
        "판매자 계정이 이 브랜드로 등록할 승인을 받지 않았습니다 (전송 전 확인).",
        "The seller account is not approved for this brand (found before sending).",
        "기관 담당자가 셀러 센트럴에서 브랜드 승인을 받거나, 기업 페이지에서 이"
        " 회사의 브랜딩 방식을 바꿉니다.",
        "Staff obtain brand approval in Seller Central, or change this company's"
        " branding mode on the company's staff page.",
        "staff",
    ),
    "PREFLIGHT_BRAND_UNCHECKED": _e(
        "판매자 계정의 브랜드 승인을 아직 확인하지 않았습니다. 확인 전에는 보내지"
        " 않습니다.",
        "The seller account's brand approval has not been checked yet; nothing is"
        " sent until it is.",
        "기관 담당자가 마켓플레이스 연결 페이지에서 테스트 호출을 실행합니다.",
        "Staff run the connection test on the company's marketplaces page.",
        "staff",
    ),
    "PREFLIGHT_BRAND_MISSING": _e(
        "회사 브랜드 이름이 없습니다.",
        "The company has no brand name.",
        "회사 정보에 영문 브랜드 이름을 입력해 주세요.",
        "Enter your English brand name in the company profile.",
        "company",
    ),
    "PREFLIGHT_MANUFACTURER_INVALID": _e(
        "제조사 정보가 브랜딩 방식과 맞지 않습니다.",
        "The manufacturer does not fit the branding mode.",
        "회사 정보의 영문 회사명을 확인해 주세요.",
        "Check the English company name in the company profile.",
        "company",
    ),
    "PREFLIGHT_GTIN_MISSING": _e(
        "바코드(GTIN)도 GTIN 면제도 없습니다.",
        "There is neither a GTIN (barcode) nor a GTIN exemption.",
        "제품에 EAN/UPC 바코드를 입력하거나 GTIN 면제를 표시해 주세요.",
        "Enter the product's EAN/UPC barcode or mark it GTIN-exempt.",
        "company",
    ),
    "PREFLIGHT_GTIN_INVALID": _e(
        "바코드(GTIN) 자릿수 또는 검증 숫자가 틀렸습니다.",
        "The GTIN has a wrong length or check digit.",
        "바코드 숫자를 다시 확인해 입력해 주세요.",
        "Re-enter the barcode digits.",
        "company",
    ),
    "PREFLIGHT_GTIN_OWNER_MISMATCH": _e(
        "공동 브랜드로 등록하는데 바코드의 소유자가 공동 브랜드가 아닙니다.",
        "Listed under the shared brand, but the GTIN is not licensed to it.",
        "기관 담당자가 공동 브랜드 바코드를 배정하거나 GTIN 면제로 바꿉니다.",
        "Staff assign a shared-brand GTIN or switch the product to an exemption.",
        "staff",
    ),
    "PREFLIGHT_HANGUL_IN_ENGLISH": _e(
        "영문 내용에 한글이 들어 있습니다.",
        "The English content contains Korean text.",
        "표시된 항목을 영어로만 작성해 주세요.",
        "Write the fields named below in English only.",
        "company",
    ),
    "PREFLIGHT_ATTRIBUTE_MISSING": _e(
        "마켓플레이스에 필요한 항목이 빠져 있습니다.",
        "A field the marketplace requires is missing.",
        "표시된 항목을 제품 정보에 입력해 주세요.",
        "Fill in the fields named below in the product form.",
        "company",
    ),
    "PREFLIGHT_EBAY_ASPECT_MISSING": _e(
        "eBay 카테고리에 필요한 상품 세부 정보(item specifics)가 빠져 있습니다.",
        "Item specifics the eBay category requires are missing.",
        "제품 정보의 '이베이 상품 세부 정보'에서 표시된 항목을 골라 주세요.",
        "Choose the fields named below under 'eBay item specifics' in the form.",
        "company",
    ),
    "PREFLIGHT_TEXT_TOO_LONG": _e(
        "한 단어가 너무 길어 제목·설명 한도 안에 넣을 수 없습니다.",
        "A single word is longer than the title or description limit.",
        "띄어쓰기를 넣어 글을 고쳐 주세요.",
        "Rewrite the text with spaces between words.",
        "company",
    ),
    "PREFLIGHT_IMAGE_MISSING": _e(
        "제품 사진이 없습니다.",
        "The product has no picture.",
        "제품 사진을 한 장 이상 올려 주세요.",
        "Upload at least one product picture.",
        "company",
    ),
    "PREFLIGHT_PRICE_MISSING": _e(
        "판매 가격이 없습니다.",
        "There is no price.",
        "기관 담당자가 환율을 입력하거나 목표 가격을 정합니다.",
        "Staff enter an exchange rate or set a target price.",
        "staff",
    ),
    "PREFLIGHT_PRICE_BELOW_FLOOR": _e(
        "판매 가격이 원가와 최소 마진보다 낮습니다.",
        "The price is below cost plus the minimum margin.",
        "목표 가격을 올리거나 원가·마진 설정을 확인해 주세요.",
        "Raise the target price or check the cost and margin settings.",
        "staff",
    ),
    "PREFLIGHT_PRICE_ABOVE_CAP": _e(
        "판매 가격이 상한을 넘어 입력 오류로 보입니다.",
        "The price is above the sanity cap; probably a typo.",
        "제품 가격과 목표 가격을 확인해 주세요.",
        "Check the product's price and target price.",
        "company",
    ),
    "PREFLIGHT_QUANTITY_INVALID": _e(
        "재고 수량이 올바르지 않습니다.",
        "The stock quantity is invalid.",
        "재고 수량을 0 이상으로 입력해 주세요.",
        "Enter a stock quantity of 0 or more.",
        "company",
    ),
    "PREFLIGHT_SKU_INVALID": _e(
        "SKU(상품 관리 코드)가 너무 깁니다.",
        "The SKU is too long for the marketplace.",
        "더 짧은 SKU를 사용해 주세요 (아마존 40자, eBay 50자).",
        "Use a shorter SKU (Amazon 40, eBay 50 characters).",
        "company",
    ),
    "PREFLIGHT_EBAY_SETUP_MISSING": _e(
        "eBay 판매자 계정의 정책(배송·결제·반품) 또는 출고지 설정이 없습니다.",
        "The eBay seller account lacks business policies or a location.",
        "기관 담당자가 판매자 계정 설정을 마칩니다.",
        "Staff complete the seller account set-up.",
        "staff",
    ),
}

TABLES = {"amazon": AMAZON, "ebay": EBAY}

#: Where staff make the fix: the company's branding mode, its connection test.
BRANDING_PAGE = "/staff/companies/{company_id}#branding"
STAFF_LINKS = {
    "5665": BRANDING_PAGE,
    "BRAND_NOT_APPROVED": BRANDING_PAGE,
    "PREFLIGHT_BRAND_NOT_APPROVED": BRANDING_PAGE,
    "PREFLIGHT_BRAND_UNCHECKED": "/staff/companies/{company_id}/marketplaces",
}


def explain(marketplace: str, code: str, message: str = "") -> Explanation:
    """The explanation for ``code`` seen on ``marketplace`` (``amazon``/``ebay``).

    Pre-flight codes are the same on every marketplace. Unknown codes get a
    generic text that quotes the marketplace's ``message`` and asks staff to
    look (they need a human: retrying the same content fails the same way).
    """
    code = str(code)
    entry = PREFLIGHT.get(code) or TABLES.get(marketplace, {}).get(code)
    if entry is not None:
        what, action, owner, needs_human = entry
        link = STAFF_LINKS.get(code, "") if marketplace == "amazon" else ""
        return Explanation(code, what, action, owner, needs_human, message, link)
    quoted = f" ({message})" if message else ""
    return Explanation(
        code=code,
        what=Text(
            f"마켓플레이스가 오류 {code}를 보고했습니다{quoted}.",
            f"The marketplace reported error {code}{quoted}.",
        ),
        action=Text(
            "기관 담당자가 메시지를 확인하고 필요하면 회사에 수정을 요청합니다.",
            "Staff read the message and, if needed, ask the company for a fix.",
        ),
        owner="staff",
        needs_human=True,
        marketplace_message=message,
    )


#: Marketplace attribute names (Amazon attributes, eBay aspects and fields)
#: as the company knows them: the labels of its own product form.
FIELD_LABELS: dict[str, Text] = {
    "item_name": Text("영문 제품명", "English product name"),
    "title": Text("영문 제품명", "English product name"),
    "brand": Text("브랜드", "Brand"),
    "Brand": Text("브랜드", "Brand"),
    "manufacturer": Text(
        "회사 영문명(제조사)", "Company name in English (manufacturer)"
    ),
    "MPN": Text(
        "제조사 부품번호(MPN) — 없으면 GTIN 면제 선언",
        "MPN — or declare the GTIN exemption",
    ),
    "externally_assigned_product_identifier": Text("GTIN(바코드)", "GTIN (barcode)"),
    "gtin": Text("GTIN(바코드)", "GTIN (barcode)"),
    "supplier_declared_has_product_identifier_exemption": Text(
        "GTIN 면제 선언", "GTIN exemption"
    ),
    "bullet_point": Text("영문 특징(불릿)", "English bullet points"),
    "product_description": Text("영문 설명", "English description"),
    "description": Text("영문 설명", "English description"),
    "item_weight": Text("무게(g)", "Weight (g)"),
    "item_package_weight": Text("무게(g)", "Weight (g)"),
    "item_dimensions": Text("크기(mm)", "Dimensions (mm)"),
    "item_package_dimensions": Text("크기(mm)", "Dimensions (mm)"),
    "country_of_origin": Text("원산지", "Country of origin"),
    "main_product_image_locator": Text("제품 이미지", "Product images"),
    "imageUrls": Text("제품 이미지", "Product images"),
    "images": Text("제품 이미지", "Product images"),
    "purchasable_offer": Text("가격", "Price"),
    "price": Text("가격", "Price"),
    "categoryId": Text("이베이 카테고리", "eBay category"),
}


#: Marketplace attribute names -> the product form's input that sets them.
FORM_FIELDS: dict[str, str] = {
    "item_name": "name_en",
    "title": "name_en",
    "brand": "brand",
    "Brand": "brand",
    "externally_assigned_product_identifier": "gtin",
    "gtin": "gtin",
    "supplier_declared_has_product_identifier_exemption": "gtin_exempt",
    "bullet_point": "bullets_en",
    "product_description": "description_en",
    "description": "description_en",
    "item_weight": "weight_g",
    "item_package_weight": "weight_g",
    "item_dimensions": "length_mm",
    "item_package_dimensions": "length_mm",
    "country_of_origin": "country_of_origin",
    "main_product_image_locator": "images",
    "imageUrls": "images",
    "images": "images",
    "price": "price_krw",
    "purchasable_offer": "price_krw",
    "categoryId": "category",
    "productType": "amazon_product_type",
}


def _attribute(name: str) -> tuple[str, Text] | None:
    """The form input and label of an eBay item specific or Amazon attribute
    the company fills in (``None``: not one of those)."""
    taxonomy = load_taxonomy()
    label = taxonomy.aspect_labels.get(name)
    if label is not None:
        return field_key("ebay", name), Text(f"{label} ({name})", name)
    for product_type in taxonomy.product_types:
        for choice in product_type.attributes:
            if choice.name == name:
                return (
                    field_key("amazon", name),
                    Text(f"{choice.label.ko} ({choice.label.en})", choice.label.en),
                )
    return None


def field_labels(names: list[str] | tuple[str, ...], lang: str) -> list[str]:
    """The product form's labels for marketplace attribute ``names`` (unknown
    names are shown as they are)."""
    seen: list[str] = []
    for name in names:
        label = FIELD_LABELS.get(name)
        if label is None and (attribute := _attribute(name)) is not None:
            label = attribute[1]
        text = label.get(lang) if label is not None else name
        if text not in seen:
            seen.append(text)
    return seen


def form_field(names: list[str] | tuple[str, ...]) -> str | None:
    """The product form input to fix first for ``names`` (an issue's
    attribute names): its ``id`` is ``f-`` + this. ``None``: no such input."""
    for name in names:
        if name in FORM_FIELDS:
            return FORM_FIELDS[name]
        attribute = _attribute(name)
        if attribute is not None:
            return attribute[0]
    return None


def known_codes(marketplace: str) -> list[str]:
    """Every code with a specific explanation on ``marketplace``."""
    return sorted({*TABLES.get(marketplace, {}), *PREFLIGHT})


def pause_until(
    explanation: Explanation, now: dt.datetime, pause_hours: float = 24
) -> dt.datetime | None:
    """When automatic retries may resume, or ``None`` if they need not pause."""
    if not explanation.needs_human:
        return None
    return now + dt.timedelta(hours=pause_hours)
