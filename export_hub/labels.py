"""The vocabulary: every code the application stores, with its Korean and
English label.

Pages never show a stored code (``pending``, ``succeeded``, ``create``) as a
word; they call ``label(domain, code)`` (a Jinja global, see
:mod:`export_hub.web.render`), which looks the code up here. A code a domain
does not know is shown as it is, so a new code is visible rather than hidden;
``tests/i18n`` fails until it has its labels.

The domains mirror the enumerations of the features (``ReviewState``,
``BookingStatus`` ...) as plain strings: this module sits in the core layer and
imports no feature. ``tests/i18n/test_labels.py`` checks each enumeration
against its domain.
"""

from __future__ import annotations

from collections.abc import Mapping

from export_hub.errors import Text

Vocabulary = Mapping[str, Text]


def _domain(**codes: tuple[str, str]) -> dict[str, Text]:
    return {code: Text(ko, en) for code, (ko, en) in codes.items()}


_RUN_STATUS = _domain(
    queued=("대기 중", "Queued"),
    running=("실행 중", "Running"),
    succeeded=("성공", "Succeeded"),
    failed=("실패", "Failed"),
    cancelled=("취소됨", "Cancelled"),
    skipped=("건너뜀", "Skipped"),
)

DOMAINS: dict[str, dict[str, Text]] = {
    "role": _domain(
        admin=("관리자", "Administrator"),
        staff=("기관 담당자", "Staff"),
        office=("해외 사무소", "Overseas office"),
        company=("기업", "Company"),
    ),
    "review_state": _domain(
        draft=("작성 중", "Draft"),
        submitted=("심사 대기", "Submitted"),
        approved=("승인", "Approved"),
        changes_requested=("보완 요청", "Changes requested"),
        rejected=("반려", "Rejected"),
        withdrawn=("철회", "Withdrawn"),
    ),
    "revision_state": _domain(
        pending=("검토 대기", "Pending"),
        approved=("승인", "Approved"),
        rejected=("반려", "Rejected"),
        withdrawn=("철회", "Withdrawn"),
    ),
    "condition": _domain(
        new=("새 제품", "New"),
        refurbished=("리퍼 제품", "Refurbished"),
        used=("중고", "Used"),
    ),
    "listing_status": _domain(
        pending=("전송 대기", "Pending"),
        submitted=("전송됨 (결과 대기)", "Submitted"),
        live=("판매 중", "Live"),
        needs_action=("조치 필요", "Needs action"),
        ended=("판매 종료", "Ended"),
    ),
    "sync_action": _domain(
        create=("신규 등록", "Create"),
        update_content=("내용 수정", "Update content"),
        update_price=("가격 수정", "Update price"),
        update_quantity=("수량 수정", "Update quantity"),
        end=("판매 종료", "End"),
        check=("상태 확인", "Check"),
        status=("상태 확인", "Status check"),
        preflight=("사전 점검", "Pre-flight check"),
    ),
    "sync_outcome": _domain(
        ok=("성공", "OK"),
        planned=("계획됨 (시험 실행)", "Planned (dry run)"),
        failed=("실패", "Failed"),
        needs_action=("조치 필요", "Needs action"),
        ended=("종료됨", "Ended"),
        missing=("마켓에 없음", "Missing on the marketplace"),
        not_approved=("승인 전", "Not approved"),
        paused=("일시 중지", "Paused"),
        unknown=("결과 불명", "Unknown"),
        unauthorized=("권한 없음", "Unauthorized"),
        in_doubt=("결과 확인 중", "In doubt"),
        dry_run=("시험 실행", "Dry run"),
        skipped=("건너뜀", "Skipped"),
        unchanged=("변경 없음", "Unchanged"),
        error=("오류", "Error"),
        # The ``status`` action counts the listings' statuses it found.
        pending=("전송 대기", "Pending"),
        submitted=("전송됨 (결과 대기)", "Submitted"),
        live=("판매 중", "Live"),
    ),
    "sync_status": _RUN_STATUS,
    "job_status": _RUN_STATUS,
    "started_by": _domain(
        schedule=("일정", "Schedule"),
        user=("사용자", "User"),
        cli=("명령줄", "Command line"),
        job=("다른 작업", "Another job"),
    ),
    "runner": _domain(
        embedded=("내장", "Embedded"),
        worker=("워커", "Worker"),
        foreground=("명령줄", "Foreground"),
    ),
    "booking_status": _domain(
        pending=("승인 대기", "Pending"),
        confirmed=("확정", "Confirmed"),
        declined=("거절", "Declined"),
        cancelled=("취소", "Cancelled"),
        expired=("기한 만료", "Expired"),
    ),
    "booking_action": _domain(
        requested=("예약 요청", "Requested"),
        confirmed=("확정", "Confirmed"),
        declined=("거절", "Declined"),
        cancelled=("취소", "Cancelled"),
        expired=("기한 만료", "Expired"),
        rescheduled=("일정 변경", "Rescheduled"),
        reassigned=("담당 변경", "Reassigned"),
        outcome=("결과 기록", "Outcome recorded"),
    ),
    "booking_actor": _domain(
        company=("기업", "Company"),
        office=("해외 사무소", "Office"),
        staff=("기관 담당자", "Staff"),
        manage_link=("관리 링크", "Manage link"),
        system=("시스템", "System"),
    ),
    "outcome_kind": _domain(
        no_interest=("관심 없음", "No interest"),
        follow_up=("후속 상담", "Follow-up"),
        sample_requested=("샘플 요청", "Sample requested"),
        quote_sent=("견적 발송", "Quote sent"),
        deal=("계약 성사", "Deal"),
    ),
    "order_status": _domain(
        pending=("결제 대기", "Pending"),
        unshipped=("발송 대기", "Unshipped"),
        partially_shipped=("일부 발송", "Partially shipped"),
        shipped=("발송 완료", "Shipped"),
        cancelled=("취소", "Cancelled"),
        refunded=("환불", "Refunded"),
    ),
    "order_event": _domain(
        status=("주문 상태", "Status"),
        shipped=("발송", "Shipped"),
        cancelled=("취소", "Cancelled"),
        quantity=("수량", "Quantity"),
        refunded=("환불", "Refunded"),
        shipment=("발송 등록", "Shipment"),
    ),
    "order_event_source": _domain(
        shipment=("발송 등록", "Shipment"),
        **{"import": ("주문 가져오기", "Import")},
    ),
    "shipment_status": _domain(
        sending=("전송 중", "Sending"),
        confirmed=("확인됨", "Confirmed"),
        failed=("실패", "Failed"),
    ),
    "stock_cause": _domain(
        opening=("기초 재고", "Opening stock"),
        edit=("수량 수정", "Edit"),
        order=("주문", "Order"),
        cancellation=("주문 취소", "Cancellation"),
        shipment=("발송", "Shipment"),
        **{"import": ("일괄 가져오기", "Import")},
    ),
    "connection_status": _domain(
        not_connected=("연결 안 됨", "Not connected"),
        connected=("연결됨", "Connected"),
        reauthorize_soon=("재승인 필요 (기한 임박)", "Needs re-authorization soon"),
        expired=("만료됨: 다시 연결해 주세요", "Expired: please reconnect"),
        disconnected=("연결 해제됨", "Disconnected"),
        revoked=("권한 취소됨", "Revoked"),
    ),
    "mail_status": _domain(
        stored=("보관됨 (발송 안 함)", "Stored (not sent)"),
        queued=("발송 대기", "Queued"),
        sending=("발송 중", "Sending"),
        sent=("발송됨", "Sent"),
        failed=("발송 실패", "Failed"),
    ),
    "branding_mode": _domain(
        dual=("회사 브랜드 + 공동 브랜드 표기", "Company brand, shared brand in text"),
        **{"co-brand": ("공동 브랜드", "Shared brand as the brand")},
    ),
    "marketplace": _domain(
        amazon=("아마존", "Amazon"),
        ebay=("이베이", "eBay"),
    ),
    "issue_owner": _domain(
        company=("기업", "Company"),
        staff=("기관 담당자", "Staff"),
    ),
    "issue_severity": _domain(
        ERROR=("오류", "Error"),
        WARNING=("경고", "Warning"),
        INFO=("알림", "Info"),
        error=("오류", "Error"),
        warning=("경고", "Warning"),
        info=("알림", "Info"),
    ),
    "amazon_listing_status": _domain(
        BUYABLE=("구매 가능", "Buyable"),
        DISCOVERABLE=("검색 가능", "Discoverable"),
        INVALID=("오류 있음", "Invalid"),
        ACCEPTED=("접수됨", "Accepted"),
    ),
    "audit_action": _domain(
        create=("등록", "Created"),
        edit=("수정", "Edited"),
        add_images=("이미지 추가", "Images added"),
        remove_image=("이미지 삭제", "Image removed"),
        delete=("삭제", "Deleted"),
        submit=("심사 요청", "Submitted for review"),
        approve=("승인", "Approved"),
        request_changes=("보완 요청", "Changes requested"),
        reject=("반려", "Rejected"),
        withdraw=("철회", "Withdrawn"),
        revision_propose=("변경 제안", "Change proposed"),
        revision_edit=("변경 제안 수정", "Proposed change edited"),
        revision_approve=("변경 승인", "Change approved"),
        revision_reject=("변경 반려", "Change rejected"),
        revision_withdraw=("변경 철회", "Change withdrawn"),
        stock_buffer=("재고 여유분 변경", "Stock buffer changed"),
        stock_import=("재고 일괄 가져오기", "Stock imported"),
        stock_price_edit=("재고·가격 수정", "Stock or price edited"),
        sign_up=("가입", "Signed up"),
        update_profile=("회사 정보 수정", "Profile updated"),
        **{
            "company.branding_mode": ("브랜드 방식 변경", "Branding mode changed"),
            "seller_account.connected": (
                "판매자 계정 연결",
                "Seller account connected",
            ),
            "seller_account.disconnected": (
                "판매자 계정 연결 해제",
                "Seller account disconnected",
            ),
            "seller_account.refused_taken": (
                "다른 기업의 판매자 계정 거부",
                "Seller account of another company refused",
            ),
        },
    ),
    "job": _domain(
        **{
            "sync.run": ("리스팅 동기화", "Sync listings"),
            "sync.seller": ("판매자 계정 하나 동기화", "Sync one seller account"),
            "sync.all": ("연결된 모든 계정 동기화", "Sync every connected account"),
            "sync.push": ("재고 변동 수량 전송", "Push quantities after stock moved"),
            "sync.follow_up": (
                "전송한 리스팅 결과 확인",
                "Follow submitted listings until live or failed",
            ),
            "sync.follow_seller": (
                "판매자 계정 하나의 전송 결과 확인",
                "Follow one seller account's submitted listings",
            ),
            "pricing.fetch_rates": ("환율 가져오기", "Fetch exchange rates"),
            "jobs.prune_runs": ("오래된 실행 기록 정리", "Delete old job-run records"),
            "jobs.close_dead_runs": (
                "멈춘 실행 닫기",
                "Close runs whose worker is gone",
            ),
            "orders.pull": (
                "판매자 계정 하나의 주문 가져오기",
                "Import one account's orders",
            ),
            "orders.pull_all": (
                "모든 계정의 주문 가져오기",
                "Import every account's orders",
            ),
            "orders.ship_by_reminders": (
                "발송 기한 임박 알림 메일",
                "E-mail companies about ship-by dates",
            ),
            "consultations.expire_pending": (
                "응답 없는 상담 요청 만료",
                "Expire unanswered consultation requests",
            ),
            "consultations.send_reminders": (
                "상담 알림 메일",
                "Send meeting reminders",
            ),
            "mail.deliver": ("메일 발송", "Deliver queued e-mail"),
        }
    ),
}


def label_text(domain: str, code: object) -> Text | None:
    """The label of ``code`` in ``domain`` or ``None`` if it has none.

    ``code`` may be an enumeration member; its value is looked up. Raises
    ``KeyError`` for an unknown domain (a typo in a template must not pass).
    """
    vocabulary = DOMAINS[domain]
    key = getattr(code, "value", code)
    return vocabulary.get(str(key)) if key is not None else None


def label(lang: str, domain: str, code: object) -> str:
    """``code`` of ``domain`` as a word in ``lang``; the code itself if unknown."""
    found = label_text(domain, code)
    if found is not None:
        return found.get(lang)
    key = getattr(code, "value", code)
    return "" if key is None else str(key)


def all_codes() -> set[str]:
    """Every code of every domain (the crawl test looks for them as raw words)."""
    return {code for vocabulary in DOMAINS.values() for code in vocabulary}
