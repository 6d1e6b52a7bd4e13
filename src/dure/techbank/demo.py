"""Demo stories of the technology bank (``dure load-demo``); idempotent.

Thirty technologies of eight research institutes (KITECH holds several: the demo
``researcher`` 이연구 is a KITECH researcher and an expert here), ten pieces of equipment with
bookings, three labs, eight experts, transfer applications (one by 한빛정밀, the demo ``sme``'s
company, one contracted licence of 세리오협동조합 with a sales report) and exchange requests.

Matching keys: technologies by application number, equipment by NFEC number, experts by
(institute, name), labs by (institute, name), bookings by (equipment, purpose), applications by
(technology, applicant), exchange requests by (requester, field). Existing rows are left as they
are (times and states are not moved on a second run).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from dure.core.pagecache import bump_data_version
from dure.directory.models import Capability, Organisation, OrganisationKind

from . import royalty, services
from .identifiers import ipc_sections
from .models import (
    DEAL_TYPE_FIELDS,
    BookingStatus,
    Equipment,
    EquipmentBooking,
    EquipmentStatus,
    ExchangeRequest,
    Expert,
    ExpertContact,
    Lab,
    SharingScope,
    Technology,
    TransferApplication,
)
from .search_index import EQUIPMENT, EXPERT, LAB, TECHNOLOGY, index_bulk

SME = "한빛정밀"
COOP = "세리오협동조합"


@dataclass
class DemoExpert:
    institute: str
    name: str
    department: str
    position: str
    fields: list[str]
    summary: str
    available: bool = True
    username: str = ""
    phone: str = ""
    email: str = ""


DEMO_EXPERTS = [
    DemoExpert(
        "KITECH",
        "이연구",
        "뿌리산업기술연구소 접합기술그룹",
        "수석연구원",
        ["용접", "접합", "부식 방지", "표면처리"],
        "배관·압력용기 용접부의 부식과 균열을 줄이는 공정과 코팅을 연구합니다. 중소 제조기업 현장 "
        "기술지도 경험이 많습니다.",
        username="researcher",
        phone="010-0000-0101",
        email="researcher@kitech.example",
    ),
    DemoExpert(
        "KITECH",
        "김태호",
        "스마트제조혁신연구부문",
        "책임연구원",
        ["레이저 용접", "스마트 제조", "공정 모니터링"],
        "레이저 용접 공정의 실시간 품질 감시와 불량 예측 모델을 개발합니다.",
        phone="010-0000-0102",
        email="thkim@kitech.example",
    ),
    DemoExpert(
        "KIMS",
        "박지은",
        "표면재료연구부",
        "책임연구원",
        ["코팅", "세라믹", "내식성"],
        "세라믹·금속 복합 코팅의 내식성과 내마모성을 평가합니다.",
        phone="010-0000-0103",
        email="jepark@kims.example",
    ),
    DemoExpert(
        "ETRI",
        "최민수",
        "자율주행지능연구실",
        "책임연구원",
        ["LiDAR", "센서 융합", "자율주행"],
        "자율주행용 LiDAR 신호처리와 카메라·레이더 센서 융합을 연구합니다.",
        phone="010-0000-0104",
        email="mschoi@etri.example",
    ),
    DemoExpert(
        "ETRI",
        "정하늘",
        "사물인터넷연구실",
        "선임연구원",
        ["IoT", "저전력 무선 센서", "스마트팜"],
        "저전력 IoT 센서 네트워크와 스마트팜 환경 계측 시스템을 개발합니다.",
        available=False,
        phone="010-0000-0105",
        email="hnjung@etri.example",
    ),
    DemoExpert(
        "KRICT",
        "한서연",
        "화학소재연구본부",
        "책임연구원",
        ["기능성 코팅제", "고분자", "친환경 세정제"],
        "수계 기능성 코팅제와 생분해성 세정제 조성을 연구합니다.",
        phone="010-0000-0106",
        email="syhan@krict.example",
    ),
    DemoExpert(
        "KIMM",
        "윤재원",
        "지능형생산시스템연구본부",
        "책임연구원",
        ["정밀 가공", "공작기계", "진동 저감"],
        "공작기계의 채터 진동 저감과 정밀 가공 공정을 연구합니다.",
        phone="010-0000-0107",
        email="jwyoon@kimm.example",
    ),
    DemoExpert(
        "KERI",
        "서동훈",
        "전력반도체연구단",
        "선임연구원",
        ["전력전자", "SiC 전력반도체", "인버터"],
        "SiC 전력반도체 모듈과 고효율 인버터를 개발합니다.",
        phone="010-0000-0108",
        email="dhseo@keri.example",
    ),
]


@dataclass
class DemoTech:
    institute: str
    application_number: str
    application_date: str
    title: str
    abstract: str
    ipc: list[str]
    keywords: list[str]
    trl: int
    status: str = "registered"
    registration_number: str = ""
    registration_date: str = ""
    inventors: list[str] = field(default_factory=list)
    commercialisation: str = "unused"
    deals: list[str] = field(default_factory=lambda: ["nonexclusive"])
    upfront_fee: int | None = 10_000_000
    royalty_bp: int | None = 300
    title_en: str = ""
    claims: str = ""


DEMO_TECHNOLOGIES = [
    # --- KITECH (한국생산기술연구원) ---
    DemoTech(
        "KITECH",
        "10-2019-0087421",
        "2019-07-18",
        "용접부 부식 방지용 세라믹 복합 코팅 조성물 및 그 제조방법",
        "본 발명은 배관 용접부의 부식을 방지하는 세라믹 복합 코팅 조성물에 관한 것이다. 실리카 "
        "나노입자와 에폭시 수지를 혼합한 코팅층이 염수 환경에서도 용접 이음부의 내식성을 장기간 "
        "유지하며, 현장에서 붓으로 도포할 수 있어 중소 제조기업의 보수 비용을 줄인다.",
        ["C09D 163/00", "C23F 11/00", "B23K 9/32"],
        ["용접", "부식 방지", "코팅", "배관"],
        6,
        registration_number="10-2245187",
        registration_date="2021-03-02",
        inventors=["이연구", "김태호"],
        deals=["nonexclusive", "exclusive", "cooperation"],
        upfront_fee=15_000_000,
        royalty_bp=250,
        title_en="Ceramic composite coating composition for preventing corrosion of welds",
        claims="실리카 나노입자 5~20 중량%와 에폭시 수지를 포함하는 용접부 부식 방지용 코팅 조성물.",
    ),
    DemoTech(
        "KITECH",
        "10-2017-0154302",
        "2017-11-20",
        "레이저 용접 품질 실시간 감시 장치 (Real-time monitoring of laser welding quality)",
        "레이저 용접 중 발생하는 플라즈마 광과 음향 신호를 측정하여 기공·균열 등 용접 불량을 "
        "실시간으로 판정하는 감시 장치이다. 판정 결과에 따라 출력을 자동 보정한다.",
        ["B23K 26/03", "G01N 21/71"],
        ["레이저 용접", "품질 감시", "불량 검출"],
        7,
        registration_number="10-1998834",
        registration_date="2019-07-03",
        inventors=["김태호"],
        commercialisation="transferred",
        upfront_fee=20_000_000,
        royalty_bp=300,
    ),
    DemoTech(
        "KITECH",
        "10-2014-0061175",
        "2014-05-21",
        "알루미늄 다이캐스팅 금형의 열균열 저감 냉각 구조",
        "다이캐스팅 금형 내부에 등각 냉각 채널을 형성하여 금형 표면 온도 편차와 열균열을 줄이는 "
        "냉각 구조이다. 금형 수명이 길어지고 사이클 타임이 단축된다.",
        ["B22D 17/22", "B22C 9/06"],
        ["다이캐스팅", "금형", "냉각"],
        5,
        registration_number="10-1634418",
        registration_date="2016-06-22",
        inventors=["이연구"],
        commercialisation="dormant",
        deals=["nonexclusive", "assignment"],
        upfront_fee=8_000_000,
        royalty_bp=200,
    ),
    DemoTech(
        "KITECH",
        "10-2020-0112873",
        "2020-09-04",
        "염색 폐수 재이용을 위한 섬유 저온 염색 방법",
        "분산 염료와 저온 활성 조제를 사용하여 80℃ 이하에서 폴리에스터 섬유를 염색하고 염색 "
        "폐수를 재이용하는 방법이다. 에너지 사용량과 폐수 배출량이 함께 줄어든다.",
        ["D06P 1/16", "D06P 3/54"],
        ["섬유 염색", "저온 염색", "폐수 재이용"],
        6,
        registration_number="10-2398812",
        registration_date="2022-05-09",
        upfront_fee=5_000_000,
        royalty_bp=200,
    ),
    DemoTech(
        "KITECH",
        "10-2022-0034567",
        "2022-03-18",
        "사출 성형품 변형 예측 인공지능 모델 및 공정 조건 추천 시스템",
        "사출 성형 해석 데이터와 현장 공정 데이터를 학습한 인공지능 모델이 성형품의 휨 변형을 "
        "예측하고 금형 온도와 보압 조건을 추천한다.",
        ["B29C 45/76", "G06N 3/08"],
        ["사출 성형", "인공지능", "공정 최적화"],
        4,
        status="published",
        deals=["nonexclusive", "cooperation"],
        upfront_fee=None,
        royalty_bp=None,
    ),
    DemoTech(
        "KITECH",
        "10-2012-0098123",
        "2012-09-05",
        "표면처리 도금액의 자동 농도 관리 장치",
        "도금조의 금속 이온 농도를 전기화학 센서로 측정하여 보충액을 자동 투입하는 장치로, "
        "도금 두께 편차를 줄인다.",
        ["C25D 21/12", "G01N 27/416"],
        ["도금", "표면처리", "농도 관리"],
        7,
        status="lapsed",
        registration_number="10-1401234",
        registration_date="2014-05-27",
        commercialisation="dormant",
        deals=["cooperation"],
        upfront_fee=3_000_000,
        royalty_bp=100,
    ),
    # --- KIMS (한국재료연구원) ---
    DemoTech(
        "KIMS",
        "10-2018-0143311",
        "2018-11-20",
        "내식성이 우수한 고엔트로피 합금 코팅층 형성 방법",
        "고엔트로피 합금 분말을 저온 분사하여 해양 환경 부품 표면에 치밀한 코팅층을 형성한다. "
        "염수 분무 시험에서 기존 스테인리스강보다 부식 속도가 크게 낮다.",
        ["C23C 24/04", "C22C 30/00"],
        ["고엔트로피 합금", "저온 분사", "내식성"],
        5,
        registration_number="10-2142456",
        registration_date="2020-07-24",
        inventors=["박지은"],
        deals=["nonexclusive", "exclusive"],
        upfront_fee=30_000_000,
        royalty_bp=350,
    ),
    DemoTech(
        "KIMS",
        "10-2016-0077889",
        "2016-06-22",
        "탄소섬유 강화 복합소재의 저비용 성형 방법",
        "탄소섬유 프리프레그를 진공 백 성형으로 경화하여 오토클레이브 없이 항공기급 물성을 "
        "얻는 성형 방법이다. 중소기업의 설비 투자 부담을 줄인다.",
        ["B29C 70/44", "B29K 307/04"],
        ["탄소섬유", "복합소재", "진공 성형"],
        7,
        registration_number="10-1876543",
        registration_date="2018-09-03",
        commercialisation="commercialised",
        upfront_fee=25_000_000,
        royalty_bp=300,
    ),
    DemoTech(
        "KIMS",
        "10-2013-0122345",
        "2013-10-14",
        "마그네슘 합금 판재의 상온 성형성 향상 압연 방법",
        "비대칭 압연으로 마그네슘 합금 판재의 집합조직을 약화시켜 상온 프레스 성형이 가능하게 "
        "한다.",
        ["C22F 1/06", "B21B 1/22"],
        ["마그네슘 합금", "압연", "경량 소재"],
        4,
        registration_number="10-1567890",
        registration_date="2015-10-12",
        commercialisation="dormant",
        deals=["nonexclusive", "assignment"],
        upfront_fee=12_000_000,
        royalty_bp=250,
    ),
    DemoTech(
        "KIMS",
        "10-2021-0056789",
        "2021-04-30",
        "금속 3D 프린팅용 구형 티타늄 분말 제조 장치",
        "플라즈마 구상화로 티타늄 분말의 구형도와 유동성을 높여 금속 적층 제조 품질을 개선한다.",
        ["B22F 9/14", "B33Y 70/00"],
        ["금속 3D 프린팅", "티타늄 분말", "적층 제조"],
        5,
        registration_number="10-2456789",
        registration_date="2022-10-11",
        deals=["nonexclusive", "exclusive"],
        upfront_fee=40_000_000,
        royalty_bp=400,
    ),
    # --- ETRI (한국전자통신연구원) ---
    DemoTech(
        "ETRI",
        "10-2019-0165432",
        "2019-12-12",
        "LiDAR 점군 데이터 기반 보행자 인식 방법 (Pedestrian detection from LiDAR point clouds)",
        "자율주행 차량의 LiDAR 점군에서 지면을 제거하고 군집화한 뒤 딥러닝으로 보행자를 인식한다. "
        "야간과 악천후에서도 인식률이 높다.",
        ["G01S 17/931", "G06V 20/58"],
        ["LiDAR", "자율주행", "보행자 인식"],
        6,
        registration_number="10-2334455",
        registration_date="2021-11-29",
        inventors=["최민수"],
        deals=["nonexclusive", "cooperation"],
        upfront_fee=20_000_000,
        royalty_bp=300,
        title_en="Pedestrian detection from LiDAR point clouds",
    ),
    DemoTech(
        "ETRI",
        "10-2018-0098765",
        "2018-08-23",
        "저전력 IoT 센서 노드의 배터리 수명 연장 통신 방법",
        "IoT 센서 노드가 측정값 변화량에 따라 전송 주기를 조절하여 배터리 수명을 늘리는 무선 "
        "통신 방법이다. 스마트팜과 설비 모니터링에 적용된다.",
        ["H04W 52/02", "H04W 4/38"],
        ["IoT 센서", "저전력", "무선 통신"],
        7,
        registration_number="10-2087654",
        registration_date="2020-03-05",
        inventors=["정하늘"],
        commercialisation="transferred",
        upfront_fee=10_000_000,
        royalty_bp=200,
    ),
    DemoTech(
        "ETRI",
        "10-2020-0045678",
        "2020-04-16",
        "스마트팜 환경 센서 데이터 보정 장치",
        "온실 내 온습도·CO2 센서의 편차를 기준 센서와 비교하여 자동 보정하는 장치이다.",
        ["A01G 9/26", "G01D 18/00"],
        ["스마트팜", "센서 보정", "온실"],
        6,
        registration_number="10-2298765",
        registration_date="2021-08-17",
        inventors=["정하늘"],
        upfront_fee=5_000_000,
        royalty_bp=150,
    ),
    DemoTech(
        "ETRI",
        "10-2015-0187654",
        "2015-12-28",
        "영상 기반 제조 라인 작업자 안전 감지 시스템",
        "CCTV 영상에서 작업자와 기계의 위험 구역 침범을 인식하여 설비를 자동 정지시키는 "
        "시스템이다.",
        ["G06V 40/20", "F16P 3/14"],
        ["산업 안전", "영상 인식", "제조 라인"],
        6,
        registration_number="10-1823456",
        registration_date="2018-03-21",
        commercialisation="dormant",
        upfront_fee=10_000_000,
        royalty_bp=200,
    ),
    DemoTech(
        "ETRI",
        "10-2023-0012345",
        "2023-01-30",
        "5G 특화망 기반 공장 설비 원격 제어 장치",
        "5G 특화망의 초저지연 통신으로 공장 설비를 원격 제어하고 제어 지연을 보상한다.",
        ["H04W 4/70", "G05B 19/418"],
        ["5G 특화망", "원격 제어", "스마트 공장"],
        4,
        status="applied",
        deals=["cooperation"],
        upfront_fee=None,
        royalty_bp=None,
    ),
    # --- KRICT (한국화학연구원) ---
    DemoTech(
        "KRICT",
        "10-2017-0076543",
        "2017-06-16",
        "수계 방오 코팅제 조성물",
        "선박과 수중 구조물 표면에 해양 생물이 부착하지 않도록 하는 수계 방오 코팅제이다. 유기 "
        "용제를 쓰지 않아 작업 환경이 안전하다.",
        ["C09D 5/16", "C09D 133/00"],
        ["방오 코팅", "수계 도료", "친환경"],
        6,
        registration_number="10-1965432",
        registration_date="2019-04-01",
        inventors=["한서연"],
        deals=["nonexclusive", "exclusive"],
        upfront_fee=12_000_000,
        royalty_bp=300,
    ),
    DemoTech(
        "KRICT",
        "10-2019-0034567",
        "2019-03-26",
        "생분해성 계면활성제를 포함하는 산업용 세정제",
        "식물 유래 생분해성 계면활성제로 금속 부품의 절삭유와 기름때를 제거하는 세정제이다.",
        ["C11D 1/66", "C11D 11/00"],
        ["세정제", "생분해성", "계면활성제"],
        7,
        registration_number="10-2187654",
        registration_date="2020-11-12",
        inventors=["한서연"],
        upfront_fee=8_000_000,
        royalty_bp=250,
    ),
    DemoTech(
        "KRICT",
        "10-2016-0156789",
        "2016-11-24",
        "폐플라스틱 열분해유 정제용 촉매",
        "폐플라스틱 열분해유의 염소와 올레핀을 제거하여 연료유 품질을 높이는 촉매이다.",
        ["B01J 29/40", "C10G 1/10"],
        ["폐플라스틱", "열분해", "촉매"],
        5,
        registration_number="10-1898765",
        registration_date="2018-12-07",
        commercialisation="dormant",
        deals=["nonexclusive", "assignment"],
        upfront_fee=20_000_000,
        royalty_bp=300,
    ),
    DemoTech(
        "KRICT",
        "10-2021-0098712",
        "2021-07-27",
        "자외선 경화형 접착제 조성물",
        "자외선으로 수 초 안에 경화되는 아크릴계 접착제로 전자 부품 조립 공정 시간을 줄인다.",
        ["C09J 4/02", "C09J 133/08"],
        ["접착제", "자외선 경화", "전자 부품"],
        6,
        registration_number="10-2501234",
        registration_date="2023-01-16",
        upfront_fee=10_000_000,
        royalty_bp=250,
    ),
    # --- KIMM (한국기계연구원) ---
    DemoTech(
        "KIMM",
        "10-2018-0054321",
        "2018-05-11",
        "공작기계 주축의 채터 진동 저감 장치",
        "주축에 능동형 댐퍼를 설치하여 절삭 중 발생하는 채터 진동을 실시간으로 줄이는 "
        "장치이다. 가공 정밀도와 공구 수명이 향상된다.",
        ["B23Q 11/00", "F16F 15/00"],
        ["공작기계", "채터 진동", "정밀 가공"],
        6,
        registration_number="10-2034567",
        registration_date="2019-10-14",
        inventors=["윤재원"],
        deals=["nonexclusive", "cooperation"],
        upfront_fee=15_000_000,
        royalty_bp=250,
    ),
    DemoTech(
        "KIMM",
        "10-2015-0123456",
        "2015-08-31",
        "상수도 관로 누수 위치 탐지 장치",
        "관로 두 지점에 설치한 음향 센서의 신호 시간차로 물이 새는 위치를 찾아내는 장치이다. "
        "도로를 파지 않고 누수 지점을 수 미터 이내로 특정한다.",
        ["G01M 3/24", "F17D 5/06"],
        ["누수 탐지", "음향 센서", "상수도"],
        7,
        registration_number="10-1712345",
        registration_date="2017-03-08",
        commercialisation="commercialised",
        upfront_fee=10_000_000,
        royalty_bp=200,
    ),
    DemoTech(
        "KIMM",
        "10-2020-0167890",
        "2020-12-03",
        "수소 충전소용 고압 압축기의 피스톤 링 구조",
        "수소 충전소 압축기의 피스톤 링 마모와 누설을 줄이는 구조로 유지보수 주기를 늘린다.",
        ["F04B 39/00", "F16J 9/20"],
        ["수소", "압축기", "피스톤 링"],
        5,
        registration_number="10-2412345",
        registration_date="2022-06-20",
        deals=["nonexclusive", "exclusive"],
        upfront_fee=25_000_000,
        royalty_bp=300,
    ),
    DemoTech(
        "KIMM",
        "10-2011-0134567",
        "2011-12-14",
        "농업용 소형 전동 운반차의 경사지 주행 제어 방법",
        "경사지에서 적재 하중을 감지하여 모터 토크를 제어하는 농업용 전동 운반차 주행 방법이다.",
        ["A01D 69/00", "B60L 15/20"],
        ["농업 기계", "전동 운반차", "경사지"],
        6,
        status="lapsed",
        registration_number="10-1345678",
        registration_date="2013-11-25",
        commercialisation="dormant",
        deals=["cooperation"],
        upfront_fee=2_000_000,
        royalty_bp=100,
    ),
    # --- KERI (한국전기연구원) ---
    DemoTech(
        "KERI",
        "10-2019-0123987",
        "2019-10-07",
        "SiC 전력반도체 모듈의 방열 구조",
        "SiC 전력반도체 칩 아래에 은 소결 접합과 직접 냉각 채널을 두어 열저항을 낮춘 모듈 "
        "구조이다.",
        ["H01L 23/473", "H01L 25/07"],
        ["SiC", "전력반도체", "방열"],
        5,
        registration_number="10-2276543",
        registration_date="2021-06-09",
        inventors=["서동훈"],
        deals=["nonexclusive", "exclusive"],
        upfront_fee=30_000_000,
        royalty_bp=350,
    ),
    DemoTech(
        "KERI",
        "10-2017-0187612",
        "2017-12-29",
        "태양광 인버터의 고효율 최대전력점 추종 방법",
        "부분 음영 조건에서도 전역 최대전력점을 빠르게 찾아 태양광 발전량을 늘리는 인버터 제어 "
        "방법이다.",
        ["H02M 7/48", "H02J 3/38"],
        ["태양광", "인버터", "MPPT"],
        7,
        registration_number="10-1987612",
        registration_date="2019-06-04",
        inventors=["서동훈"],
        commercialisation="transferred",
        upfront_fee=10_000_000,
        royalty_bp=200,
    ),
    DemoTech(
        "KERI",
        "10-2014-0145678",
        "2014-10-27",
        "전동기 권선 절연 열화 진단 장치",
        "전동기 운전 중 부분방전 신호를 측정하여 권선 절연의 열화 정도를 진단한다.",
        ["G01R 31/34", "G01R 31/12"],
        ["전동기", "절연 진단", "부분방전"],
        6,
        registration_number="10-1654321",
        registration_date="2016-08-30",
        commercialisation="dormant",
        upfront_fee=7_000_000,
        royalty_bp=200,
    ),
    # --- KFRI (한국식품연구원) ---
    DemoTech(
        "KFRI",
        "10-2018-0076512",
        "2018-07-02",
        "김치 유산균을 이용한 발효 음료 제조 방법",
        "김치에서 분리한 내산성 유산균으로 곡물 음료를 발효시켜 풍미와 저장성을 높인다.",
        ["A23L 2/38", "C12N 1/20"],
        ["유산균", "발효 음료", "김치"],
        7,
        registration_number="10-2045612",
        registration_date="2019-11-08",
        commercialisation="commercialised",
        upfront_fee=5_000_000,
        royalty_bp=200,
    ),
    DemoTech(
        "KFRI",
        "10-2020-0098713",
        "2020-08-06",
        "신선 농산물 포장용 항균 필름",
        "천연 항균 물질을 함유한 포장 필름으로 신선 농산물의 유통기한을 늘린다.",
        ["B65D 81/28", "C08J 5/18"],
        ["식품 포장", "항균 필름", "유통기한"],
        6,
        registration_number="10-2367813",
        registration_date="2022-01-14",
        upfront_fee=6_000_000,
        royalty_bp=200,
    ),
    # --- KIER (한국에너지기술연구원) ---
    DemoTech(
        "KIER",
        "10-2019-0054398",
        "2019-05-09",
        "고분자 전해질막 연료전지 스택의 수분 관리 장치",
        "연료전지 스택의 출구 습도를 측정하여 가습량을 조절함으로써 플러딩과 건조를 막는 장치이다.",
        ["H01M 8/04492", "H01M 8/04119"],
        ["연료전지", "수소", "수분 관리"],
        6,
        registration_number="10-2223398",
        registration_date="2020-12-28",
        deals=["nonexclusive", "exclusive"],
        upfront_fee=20_000_000,
        royalty_bp=300,
    ),
    DemoTech(
        "KIER",
        "10-2016-0134598",
        "2016-10-17",
        "산업용 폐열 회수 히트펌프 시스템",
        "공장 배출 폐열을 히트펌프로 회수하여 공정 온수를 공급하는 시스템으로 에너지 비용을 "
        "줄인다.",
        ["F25B 30/02", "F24D 11/02"],
        ["폐열 회수", "히트펌프", "에너지 효율"],
        7,
        registration_number="10-1876598",
        registration_date="2018-09-12",
        commercialisation="dormant",
        upfront_fee=10_000_000,
        royalty_bp=200,
    ),
]


@dataclass
class DemoEquipment:
    institute: str
    nfec: str
    name: str
    name_en: str
    manufacturer: str
    model: str
    classification: str
    capability: str
    use_examples: str
    location: str
    fee_per_hour: int | None
    fee_per_day: int | None = None
    sharing: str = SharingScope.SHARED
    status: str = EquipmentStatus.IN_USE
    manager: str = ""


DEMO_EQUIPMENT = [
    DemoEquipment(
        "KITECH",
        "NFEC-2016-04-209871",
        "파이버 레이저 용접기",
        "Fiber laser welding system",
        "IPG Photonics",
        "YLS-6000",
        "가공장비 > 용접·접합장비",
        "최대 출력 6 kW, 용접 속도 최대 10 m/min",
        "자동차 부품 맞대기 용접, 이종 금속 접합 시험",
        "인천 연수구 KITECH 뿌리기술연구소 A동 112호",
        60_000,
        400_000,
        manager="이연구",
    ),
    DemoEquipment(
        "KITECH",
        "NFEC-2014-09-187654",
        "염수분무 시험기",
        "Salt spray tester",
        "Q-Lab",
        "Q-FOG CCT1100",
        "시험장비 > 환경시험장비",
        "중성 염수분무(NSS), 복합 사이클 부식 시험",
        "코팅·도금 부품의 내식성 평가",
        "인천 연수구 KITECH 뿌리기술연구소 B동 203호",
        15_000,
        100_000,
        manager="김태호",
    ),
    DemoEquipment(
        "KITECH",
        "NFEC-2019-02-231456",
        "금속 3D 프린터",
        "Metal 3D printer (powder bed fusion)",
        "EOS",
        "M 290",
        "가공장비 > 적층제조장비",
        "조형 크기 250×250×325 mm, 레이저 400 W",
        "금형 인서트, 등각 냉각 채널 시제품",
        "충남 천안 KITECH 본원 스마트제조동",
        80_000,
        None,
        status=EquipmentStatus.IDLE,
    ),
    DemoEquipment(
        "KIMS",
        "NFEC-2013-06-176543",
        "X선 회절 분석기",
        "X-ray diffractometer",
        "Rigaku",
        "SmartLab",
        "분석장비 > X선분석장비",
        "Cu 타깃 9 kW, 박막·분말 결정구조 분석",
        "합금 상 분석, 코팅층 잔류응력 측정",
        "경남 창원 KIMS 분석동 105호",
        50_000,
    ),
    DemoEquipment(
        "KIMS",
        "NFEC-2012-11-165432",
        "만능재료시험기",
        "Universal testing machine",
        "Instron",
        "5985",
        "시험장비 > 재료시험장비",
        "최대 하중 250 kN, 인장·압축·굽힘 시험",
        "용접 시편 인장 시험, 복합소재 물성 평가",
        "경남 창원 KIMS 시험동 12호",
        30_000,
        200_000,
    ),
    DemoEquipment(
        "ETRI",
        "NFEC-2015-08-198765",
        "전파 무반향실",
        "Anechoic chamber",
        "ETS-Lindgren",
        "FACT 3",
        "시험장비 > 전자파시험장비",
        "측정 주파수 30 MHz~40 GHz, 3 m 측정 거리",
        "IoT 기기 안테나 성능과 전자파 적합성 시험",
        "대전 유성구 ETRI 7동 지하 1층",
        100_000,
        700_000,
    ),
    DemoEquipment(
        "ETRI",
        "NFEC-2017-03-212345",
        "반도체 파라미터 분석기",
        "Semiconductor parameter analyzer",
        "Keysight",
        "B1500A",
        "분석장비 > 전기전자측정장비",
        "I-V, C-V 측정, 펄스 측정",
        "센서 소자 특성 평가",
        "대전 유성구 ETRI 4동 301호",
        20_000,
        sharing=SharingScope.SOLE,
    ),
    DemoEquipment(
        "KRICT",
        "NFEC-2014-12-189012",
        "가스크로마토그래프 질량분석기",
        "Gas chromatograph mass spectrometer (GC-MS)",
        "Agilent",
        "7890B/5977B",
        "분석장비 > 질량분석장비",
        "휘발성 유기화합물 정성·정량 분석",
        "세정제·코팅제 성분 분석, VOC 측정",
        "대전 유성구 KRICT 분석동 210호",
        40_000,
    ),
    DemoEquipment(
        "KIMM",
        "NFEC-2011-05-154321",
        "3차원 좌표 측정기",
        "Coordinate measuring machine",
        "Carl Zeiss",
        "PRISMO",
        "측정장비 > 형상측정장비",
        "측정 범위 900×1200×700 mm, 정밀도 1.9 μm",
        "정밀 가공품 형상 검사",
        "대전 유성구 KIMM 정밀측정실",
        35_000,
        250_000,
    ),
    DemoEquipment(
        "KIMM",
        "NFEC-2008-10-123456",
        "구형 CNC 선반",
        "CNC lathe (legacy)",
        "화천기계",
        "HL-460",
        "가공장비 > 절삭가공장비",
        "최대 가공 지름 460 mm",
        "교육용",
        "대전 유성구 KIMM 시작품 공장",
        None,
        status=EquipmentStatus.DISUSED,
    ),
]

DEMO_LABS = [
    (
        "KITECH",
        "용접·접합 연구실",
        "레이저·아크 용접 공정과 용접부 품질 평가, 부식 방지 코팅을 함께 연구하는 연구실입니다.",
        ["레이저 용접", "용접부 평가", "부식 시험"],
        ["NFEC-2016-04-209871", "NFEC-2014-09-187654"],
    ),
    (
        "KIMS",
        "표면소재 분석 연구실",
        "코팅층과 합금의 결정구조, 기계적 물성을 분석합니다.",
        ["X선 회절 분석", "재료 시험", "코팅 평가"],
        ["NFEC-2013-06-176543", "NFEC-2012-11-165432"],
    ),
    (
        "ETRI",
        "자율주행 센서 연구실",
        "LiDAR·레이더·카메라 센서와 IoT 무선 기기의 성능을 시험합니다.",
        ["LiDAR 신호처리", "안테나 시험", "센서 융합"],
        ["NFEC-2015-08-198765", "NFEC-2017-03-212345"],
    ),
]


def _institutes() -> dict[str, Organisation]:
    return {
        org.acronym: org
        for org in Organisation.objects.filter(kind=OrganisationKind.RESEARCH_INSTITUTE)
    }


def _load_experts(institutes: dict[str, Organisation]) -> dict[str, Expert]:
    User = get_user_model()
    experts: dict[str, Expert] = {}
    for spec in DEMO_EXPERTS:
        user = User.objects.filter(username=spec.username).first() if spec.username else None
        expert, _ = Expert.objects.update_or_create(
            institute=institutes[spec.institute],
            name=spec.name,
            defaults={
                "department": spec.department,
                "position": spec.position,
                "fields": spec.fields,
                "summary": spec.summary,
                "available_for_exchange": spec.available,
                "user": user,
            },
        )
        ExpertContact.objects.update_or_create(
            expert=expert,
            defaults={
                "phone": spec.phone,
                "email": spec.email,
                "cv": f"{spec.department} {spec.position}. 주요 분야: {', '.join(spec.fields)}.",
            },
        )
        experts[spec.name] = expert
    return experts


def _load_technologies(
    institutes: dict[str, Organisation], experts: dict[str, Expert]
) -> list[Technology]:
    techs = []
    for spec in DEMO_TECHNOLOGIES:
        defaults = {
            "title": spec.title,
            "title_en": spec.title_en,
            "abstract": spec.abstract,
            "key_claims": spec.claims,
            "ipc_codes": spec.ipc,
            "ipc_sections": ipc_sections(spec.ipc),
            "application_date": dt.date.fromisoformat(spec.application_date),
            "status": spec.status,
            "registration_number": spec.registration_number,
            "registration_date": (
                dt.date.fromisoformat(spec.registration_date) if spec.registration_date else None
            ),
            "holder": institutes[spec.institute],
            "inventor_names": ", ".join(spec.inventors),
            "keywords": spec.keywords,
            "trl": spec.trl,
            "commercialisation": spec.commercialisation,
            "upfront_fee": spec.upfront_fee,
            "royalty_bp": spec.royalty_bp,
            **{f: deal in spec.deals for deal, f in DEAL_TYPE_FIELDS.items()},
        }
        tech, _ = Technology.objects.update_or_create(
            application_number=spec.application_number, defaults=defaults
        )
        tech.inventors.set([experts[name] for name in spec.inventors if name in experts])
        techs.append(tech)
    return techs


def _load_equipment(institutes: dict[str, Organisation]) -> list[Equipment]:
    items = []
    for spec in DEMO_EQUIPMENT:
        item, _ = Equipment.objects.update_or_create(
            nfec_number=spec.nfec,
            defaults={
                "name": spec.name,
                "name_en": spec.name_en,
                "manufacturer": spec.manufacturer,
                "model_name": spec.model,
                "classification": spec.classification,
                "capability": spec.capability,
                "use_examples": spec.use_examples,
                "institute": institutes[spec.institute],
                "location": spec.location,
                "sharing": spec.sharing,
                "status": spec.status,
                "fee_per_hour": spec.fee_per_hour,
                "fee_per_day": spec.fee_per_day,
                "manager_name": spec.manager,
                "manager_phone": "010-0000-0200" if spec.manager else "",
                "manager_email": f"equipment@{spec.institute.lower()}.example"
                if spec.manager
                else "",
            },
        )
        items.append(item)
    return items


def _load_labs(institutes: dict[str, Organisation]) -> list[Lab]:
    labs = []
    for acronym, name, description, capabilities, nfecs in DEMO_LABS:
        lab, _ = Lab.objects.update_or_create(
            institute=institutes[acronym],
            name=name,
            defaults={"description": description, "sido": institutes[acronym].sido},
        )
        lab.capabilities.set([Capability.objects.get_or_create(name=c)[0] for c in capabilities])
        lab.equipment.set(Equipment.objects.filter(nfec_number__in=nfecs))
        labs.append(lab)
    return labs


def _load_bookings() -> int:
    """Approved bookings last month (utilisation) and requests for the coming week."""
    User = get_user_model()
    sme = User.objects.filter(username="sme").first()
    coop = User.objects.filter(username="coop").first()
    if sme is None or coop is None:
        return 0
    hanbit = Organisation.objects.get(name=SME)
    serio = Organisation.objects.get(name=COOP)
    tz = timezone.get_current_timezone()
    today = timezone.localdate()

    def at(days: int, hour: int) -> dt.datetime:
        return dt.datetime.combine(today + dt.timedelta(days=days), dt.time(hour), tzinfo=tz)

    plan = [
        (
            "NFEC-2016-04-209871",
            sme,
            hanbit,
            "배관 플랜지 레이저 용접 시험",
            -20,
            9,
            17,
            "approved",
        ),
        ("NFEC-2016-04-209871", sme, hanbit, "용접 조건 최적화 2차 시험", -13, 9, 13, "approved"),
        (
            "NFEC-2014-09-187654",
            sme,
            hanbit,
            "코팅 시편 염수분무 240시간 시험",
            -30,
            9,
            18,
            "approved",
        ),
        ("NFEC-2014-12-189012", coop, serio, "세정제 VOC 성분 분석", -10, 10, 15, "approved"),
        ("NFEC-2016-04-209871", sme, hanbit, "이종 금속 접합 시제품 용접", 3, 9, 12, "requested"),
        ("NFEC-2013-06-176543", coop, serio, "코팅층 결정구조 분석", 5, 13, 17, "requested"),
        ("NFEC-2012-11-165432", sme, hanbit, "용접 시편 인장 시험", 7, 10, 16, "approved"),
    ]
    count = 0
    for nfec, user, org, purpose, day, start, end, status in plan:
        equipment = Equipment.objects.get(nfec_number=nfec)
        EquipmentBooking.objects.get_or_create(
            equipment=equipment,
            purpose=purpose,
            defaults={
                "requester": user,
                "organisation": org,
                "starts_at": at(day, start),
                "ends_at": at(day, end),
                "status": status,
                "fee": (end - start) * (equipment.fee_per_hour or 0),
                "decided_at": timezone.now() if status == BookingStatus.APPROVED else None,
            },
        )
        count += 1
    return count


def _load_requests(
    institutes: dict[str, Organisation], experts: dict[str, Expert]
) -> tuple[int, int]:
    """Transfer applications and exchange requests, through the services (events, audit)."""
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=["admin", "sme", "coop"])}
    if len(users) < 3:
        return 0, 0
    hanbit = Organisation.objects.get(name=SME)
    serio = Organisation.objects.get(name=COOP)
    fusion_member = Organisation.objects.get(name="대한복합소재")
    today = timezone.localdate()

    def tech(number: str) -> Technology:
        return Technology.objects.get(application_number=number)

    applications = [
        # 한빛정밀 asks for KITECH's weld-corrosion coating; KITECH is reviewing it.
        (
            users["sme"],
            hanbit,
            "10-2019-0087421",
            "nonexclusive",
            "배관 플랜지 용접부 보수용 코팅제로 자체 생산 라인에 적용하고 고객사 유지보수 서비스에 활용",
            "review",
        ),
        # 세리오협동조합 licensed KRICT's biodegradable cleaner and reported its first sales.
        (
            users["coop"],
            serio,
            "10-2019-0034567",
            "nonexclusive",
            "조합에서 생산하는 금속 부품 세정제 제품군에 적용",
            "contract",
        ),
        # 대한복합소재 (entered by centre staff from a desk consultation) asks for a dormant
        # KIMS patent: its upfront fee is waived.
        (
            users["admin"],
            fusion_member,
            "10-2013-0122345",
            "nonexclusive",
            "드론 프레임용 경량 마그네슘 판재 부품 시제품 제작",
            "",
        ),
    ]
    n_apps = 0
    for actor, org, number, deal, use, step in applications:
        technology = tech(number)
        application = TransferApplication.objects.filter(
            technology=technology, applicant=org
        ).first()
        if application is None:
            application = services.transfer_submit(
                actor=actor, technology=technology, applicant=org, deal_type=deal, intended_use=use
            )
            if step in ("review", "contract"):
                services.transfer_review(
                    actor=users["admin"], application=application, note="검토를 시작합니다."
                )
            if step == "contract":
                start = today - dt.timedelta(days=250)
                services.transfer_decide(
                    actor=users["admin"],
                    application=application,
                    decision="contract",
                    note="통상실시권 계약 체결",
                    terms={
                        "upfront_fee": 8_000_000,
                        "royalty_bp": 250,
                        "contract_date": start,
                        "licence_start": start,
                        "report_every_months": 3,
                    },
                )
                services.royalty_report_submit(
                    actor=users["coop"],
                    application=application,
                    period_start=start,
                    period_end=royalty.add_months(start, 3) - dt.timedelta(days=1),
                    sales=123_456_789,
                    note="1분기 매출",
                )
        n_apps += 1
    exchanges = [
        (
            users["sme"],
            hanbit,
            "dispatch",
            "레이저 용접",
            "KITECH",
            None,
            14,
            60,
            "레이저 용접 라인 도입 초기 공정 조건 설정과 작업자 교육",
        ),
        (
            users["coop"],
            serio,
            "training",
            "기능성 코팅제",
            "KRICT",
            "한서연",
            10,
            5,
            "조합 연구원의 코팅제 분석 기법 연수",
        ),
    ]
    n_ex = 0
    for (
        actor,
        org,
        direction,
        field_name,
        acronym,
        expert_name,
        start_in,
        days,
        purpose,
    ) in exchanges:
        if not ExchangeRequest.objects.filter(requester=org, field=field_name).exists():
            start = today + dt.timedelta(days=start_in)
            request = services.exchange_submit(
                actor=actor,
                requester=org,
                direction=direction,
                field=field_name,
                institute=institutes[acronym],
                start_date=start,
                end_date=start + dt.timedelta(days=days - 1),
                purpose=purpose,
            ).exchange
            if expert_name:
                services.exchange_decide(
                    actor=users["admin"],
                    request=request,
                    decision="agree",
                    expert=experts[expert_name],
                    note="연수 일정 합의",
                )
        n_ex += 1
    return n_apps, n_ex


@transaction.atomic
def load_demo() -> dict[str, int]:
    institutes = _institutes()
    if "KITECH" not in institutes:
        raise RuntimeError("reference data missing: run `dure load-reference` first")
    experts = _load_experts(institutes)
    techs = _load_technologies(institutes, experts)
    items = _load_equipment(institutes)
    labs = _load_labs(institutes)
    bookings = _load_bookings()
    index_bulk(
        TECHNOLOGY, Technology.objects.select_related("holder").filter(pk__in=[t.pk for t in techs])
    )
    index_bulk(
        EQUIPMENT,
        Equipment.objects.select_related("institute").filter(pk__in=[e.pk for e in items]),
    )
    index_bulk(
        LAB,
        Lab.objects.select_related("institute")
        .prefetch_related("capabilities", "equipment")
        .filter(pk__in=[lab.pk for lab in labs]),
    )
    index_bulk(
        EXPERT,
        Expert.objects.select_related("institute")
        .prefetch_related("technologies")
        .filter(pk__in=[e.pk for e in experts.values()]),
    )
    applications, exchanges = _load_requests(institutes, experts)
    bump_data_version()
    return {
        "technologies": len(techs),
        "equipment": len(items),
        "labs": len(labs),
        "experts": len(experts),
        "bookings": bookings,
        "transfer_applications": applications,
        "exchange_requests": exchanges,
    }
