"""Static tables behind the demo data: countries, cities with their postal codes and phone area codes,
legal forms, company name parts, job titles, tags and notes.

Cities carry their own region, postal code range and area codes so an address, its landline and its
postal code agree with each other (Faker's addresses mix them at random).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class City:
    """A city with its region, a postal code range and the landline area codes used there."""

    name: str
    region: str
    postal_lo: int
    postal_hi: int
    area_codes: tuple[str, ...]
    postal_width: int = 5
    postal_prefix: str = ""  # Argentine CPA: a province letter before the digits


@dataclass(frozen=True)
class LegalForm:
    """A company legal form; ``cif_letter`` is the first letter of a Spanish CIF for that form."""

    suffix: str
    weight: int
    cif_letter: str = ""


@dataclass(frozen=True)
class CountryProfile:
    """Everything the generator needs to make plausible people and companies of one country."""

    code: str
    locale: str
    weight: int
    language: str
    cities: tuple[City, ...]
    email_domains: tuple[tuple[str, int], ...]
    company_tlds: tuple[str, ...]
    legal_forms: tuple[LegalForm, ...]
    double_surname: bool = True


SPAIN = CountryProfile(
    code="ES",
    locale="es_ES",
    weight=40,
    language="es",
    cities=(
        City("Madrid", "Madrid", 28001, 28055, ("91",)),
        City("Barcelona", "Barcelona", 8001, 8042, ("93",)),
        City("Valencia", "Valencia", 46001, 46026, ("96",)),
        City("Sevilla", "Sevilla", 41001, 41020, ("954", "955")),
        City("Zaragoza", "Zaragoza", 50001, 50022, ("976",)),
        City("Málaga", "Málaga", 29001, 29018, ("952",)),
        City("Murcia", "Murcia", 30001, 30012, ("968",)),
        City("Palma", "Illes Balears", 7001, 7015, ("971",)),
        City("Las Palmas de Gran Canaria", "Las Palmas", 35001, 35019, ("928",)),
        City("Bilbao", "Bizkaia", 48001, 48015, ("944",)),
        City("Alicante", "Alicante", 3001, 3016, ("965",)),
        City("Córdoba", "Córdoba", 14001, 14014, ("957",)),
        City("Valladolid", "Valladolid", 47001, 47017, ("983",)),
        City("Vigo", "Pontevedra", 36201, 36216, ("986",)),
        City("Gijón", "Asturias", 33201, 33213, ("985",)),
        City("A Coruña", "A Coruña", 15001, 15011, ("981",)),
        City("Granada", "Granada", 18001, 18015, ("958",)),
        City("Pamplona", "Navarra", 31001, 31016, ("948",)),
        City("Santander", "Cantabria", 39001, 39012, ("942",)),
        City("Salamanca", "Salamanca", 37001, 37008, ("923",)),
        City("Burgos", "Burgos", 9001, 9007, ("947",)),
        City("Cádiz", "Cádiz", 11001, 11012, ("956",)),
        City("San Sebastián", "Gipuzkoa", 20001, 20018, ("943",)),
        City("Toledo", "Toledo", 45001, 45008, ("925",)),
    ),
    email_domains=(
        ("gmail.com", 45),
        ("hotmail.com", 15),
        ("outlook.es", 12),
        ("yahoo.es", 10),
        ("telefonica.net", 6),
        ("icloud.com", 6),
        ("protonmail.com", 3),
    ),
    company_tlds=(".es", ".es", ".com"),
    legal_forms=(LegalForm("S.L.", 70, "B"), LegalForm("S.A.", 20, "A"), LegalForm("S.L.U.", 10, "B")),
)

MEXICO = CountryProfile(
    code="MX",
    locale="es_MX",
    weight=20,
    language="es",
    cities=(
        City("Ciudad de México", "Ciudad de México", 1000, 16999, ("55",)),
        City("Guadalajara", "Jalisco", 44100, 44990, ("33",)),
        City("Monterrey", "Nuevo León", 64000, 64990, ("81",)),
        City("Puebla", "Puebla", 72000, 72590, ("222",)),
        City("Tijuana", "Baja California", 22000, 22700, ("664",)),
        City("León", "Guanajuato", 37000, 37500, ("477",)),
        City("Querétaro", "Querétaro", 76000, 76250, ("442",)),
        City("Mérida", "Yucatán", 97000, 97390, ("999",)),
        City("Toluca", "Estado de México", 50000, 50300, ("722",)),
        City("Cancún", "Quintana Roo", 77500, 77560, ("998",)),
    ),
    email_domains=(
        ("gmail.com", 45),
        ("hotmail.com", 25),
        ("outlook.com", 12),
        ("yahoo.com.mx", 12),
        ("prodigy.net.mx", 6),
    ),
    company_tlds=(".com.mx", ".mx", ".com"),
    legal_forms=(LegalForm("S.A. de C.V.", 65), LegalForm("S. de R.L. de C.V.", 25), LegalForm("S.C.", 10)),
)

ARGENTINA = CountryProfile(
    code="AR",
    locale="es_AR",
    weight=12,
    language="es",
    cities=(
        City("Buenos Aires", "Ciudad Autónoma de Buenos Aires", 1000, 1499, ("11",), 4, "C"),
        City("Córdoba", "Córdoba", 5000, 5022, ("351",), 4, "X"),
        City("Rosario", "Santa Fe", 2000, 2013, ("341",), 4, "S"),
        City("Mendoza", "Mendoza", 5500, 5539, ("261",), 4, "M"),
        City("La Plata", "Buenos Aires", 1900, 1908, ("221",), 4, "B"),
        City("Mar del Plata", "Buenos Aires", 7600, 7612, ("223",), 4, "B"),
        City("San Miguel de Tucumán", "Tucumán", 4000, 4003, ("381",), 4, "T"),
        City("Salta", "Salta", 4400, 4403, ("387",), 4, "A"),
        City("Neuquén", "Neuquén", 8300, 8302, ("299",), 4, "Q"),
    ),
    email_domains=(
        ("gmail.com", 50),
        ("hotmail.com", 20),
        ("yahoo.com.ar", 12),
        ("outlook.com", 10),
        ("fibertel.com.ar", 8),
    ),
    company_tlds=(".com.ar", ".com.ar", ".ar"),
    legal_forms=(LegalForm("S.R.L.", 55), LegalForm("S.A.", 35), LegalForm("S.A.S.", 10)),
)

COLOMBIA = CountryProfile(
    code="CO",
    locale="es_CO",
    weight=13,
    language="es",
    cities=(
        City("Bogotá", "Bogotá D.C.", 110111, 111981, ("601",), 6),
        City("Medellín", "Antioquia", 50001, 50036, ("604",), 6),
        City("Cali", "Valle del Cauca", 760001, 760046, ("602",), 6),
        City("Barranquilla", "Atlántico", 80001, 80020, ("605",), 6),
        City("Cartagena", "Bolívar", 130001, 130015, ("605",), 6),
        City("Bucaramanga", "Santander", 680001, 680011, ("607",), 6),
        City("Pereira", "Risaralda", 660001, 660009, ("606",), 6),
        City("Manizales", "Caldas", 170001, 170004, ("606",), 6),
    ),
    email_domains=(
        ("gmail.com", 50),
        ("hotmail.com", 25),
        ("outlook.com", 10),
        ("yahoo.com", 10),
        ("une.net.co", 5),
    ),
    company_tlds=(".com.co", ".co", ".com"),
    legal_forms=(LegalForm("S.A.S.", 70), LegalForm("S.A.", 15), LegalForm("Ltda.", 15)),
)

UNITED_STATES = CountryProfile(
    code="US",
    locale="en_US",
    weight=15,
    language="en",
    cities=(
        City("New York", "NY", 10001, 10282, ("212", "646", "718")),
        City("Los Angeles", "CA", 90001, 90089, ("213", "310", "323")),
        City("Chicago", "IL", 60601, 60661, ("312", "773")),
        City("Houston", "TX", 77001, 77099, ("713", "832")),
        City("Miami", "FL", 33101, 33199, ("305", "786")),
        City("San Antonio", "TX", 78201, 78260, ("210",)),
        City("Phoenix", "AZ", 85001, 85054, ("602",)),
        City("Seattle", "WA", 98101, 98199, ("206",)),
        City("Boston", "MA", 2108, 2136, ("617",)),
        City("Denver", "CO", 80201, 80249, ("303",)),
        City("Atlanta", "GA", 30301, 30361, ("404",)),
        City("Austin", "TX", 78701, 78759, ("512",)),
    ),
    email_domains=(
        ("gmail.com", 45),
        ("yahoo.com", 15),
        ("outlook.com", 15),
        ("icloud.com", 12),
        ("aol.com", 5),
        ("comcast.net", 8),
    ),
    company_tlds=(".com", ".com", ".us"),
    legal_forms=(LegalForm("Inc.", 50), LegalForm("LLC", 45), LegalForm("Corp.", 5)),
    double_surname=False,
)

COUNTRIES: tuple[CountryProfile, ...] = (SPAIN, MEXICO, ARGENTINA, COLOMBIA, UNITED_STATES)

# Company names: "<sector> <surname>", "<sector> <place>", "Grupo <surname>", ...
SECTORS_ES = (
    "Construcciones",
    "Transportes",
    "Distribuciones",
    "Consultoría",
    "Logística",
    "Servicios Informáticos",
    "Alimentación",
    "Muebles",
    "Climatización",
    "Inmobiliaria",
    "Asesoría",
    "Talleres",
    "Ingeniería",
    "Hostelería",
    "Energías Renovables",
    "Textil",
    "Imprenta",
    "Clínica Dental",
    "Viajes",
    "Seguros",
    "Electricidad",
    "Ferretería",
    "Bodegas",
    "Reformas",
    "Laboratorios",
    "Automoción",
    "Comercializadora",
    "Agropecuaria",
    "Metalúrgica",
    "Soluciones Digitales",
)
PLACES_ES = (
    "del Norte",
    "del Sur",
    "Mediterráneo",
    "Atlántico",
    "del Valle",
    "de la Sierra",
    "Central",
    "del Pacífico",
    "Andina",
    "Costa Azul",
    "del Río",
    "Las Lomas",
)
SECTORS_EN = (
    "Logistics",
    "Consulting",
    "Software",
    "Manufacturing",
    "Foods",
    "Health",
    "Realty",
    "Solutions",
    "Systems",
    "Analytics",
    "Energy",
    "Builders",
    "Labs",
    "Media",
    "Supply",
    "Dental Care",
    "Travel",
    "Insurance",
    "Electric",
    "Hardware",
)
PLACES_EN = (
    "Northern",
    "Pacific",
    "Atlantic",
    "Summit",
    "Lakeside",
    "Golden Gate",
    "Midwest",
    "Evergreen",
    "Riverside",
    "Blue Ridge",
    "Silver Creek",
    "Liberty",
)

# Job titles by language: (masculine, feminine); English has one form.
TITLES_ES = (
    ("Director general", "Directora general"),
    ("Director comercial", "Directora comercial"),
    ("Director financiero", "Directora financiera"),
    ("Responsable de compras", "Responsable de compras"),
    ("Jefe de proyecto", "Jefa de proyecto"),
    ("Técnico de soporte", "Técnica de soporte"),
    ("Administrativo", "Administrativa"),
    ("Contable", "Contable"),
    ("Gerente", "Gerente"),
    ("Responsable de marketing", "Responsable de marketing"),
    ("Ingeniero de ventas", "Ingeniera de ventas"),
    ("Asesor comercial", "Asesora comercial"),
    ("Coordinador de logística", "Coordinadora de logística"),
    ("Responsable de recursos humanos", "Responsable de recursos humanos"),
    ("Socio fundador", "Socia fundadora"),
    ("Consultor", "Consultora"),
    ("Analista de datos", "Analista de datos"),
)
TITLES_EN = (
    "CEO",
    "Sales Director",
    "CFO",
    "Purchasing Manager",
    "Project Manager",
    "Support Engineer",
    "Office Manager",
    "Accountant",
    "General Manager",
    "Marketing Manager",
    "Sales Engineer",
    "Account Executive",
    "Logistics Coordinator",
    "HR Manager",
    "Founder",
    "Consultant",
    "Data Analyst",
)

TAGS = (
    "VIP",
    "Newsletter",
    "Feria 2024",
    "Partner",
    "Distribuidor",
    "Mayorista",
    "Sector público",
    "Referido",
    "Webinar",
    "Key account",
    "Pago pendiente",
    "Early adopter",
)

NOTES_ES = (
    "Prefiere que le llamen por la tarde.",
    "Lo conocimos en la feria de Madrid.",
    "Pide presupuesto todos los años en septiembre.",
    "Interesado en la integración con su ERP.",
    "Pagos a 60 días; avisar a administración.",
    "Solo atiende correos en horario de oficina.",
    "Viene recomendado por un cliente actual.",
    "Pendiente de enviar la nueva tarifa.",
)
NOTES_EN = (
    "Prefers email over phone calls.",
    "Met at the Chicago trade show.",
    "Renews every year in September.",
    "Asked about the ERP integration.",
    "Net 60 payment terms; tell accounting.",
    "Referred by an existing customer.",
    "Send the new price list.",
)

# Organisation mailboxes by language.
ORG_MAILBOXES = {
    "es": ("info", "contacto", "ventas", "hola", "administracion"),
    "en": ("info", "contact", "sales", "hello"),
}

# Demo staff: (role slug, team name). Runs asking for more users cycle through the last block.
TEAMS = ("Norte", "Sur", "Atención al cliente", "Marketing")
STAFF_PLAN = (
    ("manager", "Norte"),
    ("sales_rep", "Norte"),
    ("sales_rep", "Sur"),
    ("manager", "Sur"),
    ("support_agent", "Atención al cliente"),
    ("marketing", "Marketing"),
    ("sales_rep", "Norte"),
    ("read_only", "Atención al cliente"),
)
STAFF_EXTRA = (("sales_rep", "Norte"), ("sales_rep", "Sur"), ("support_agent", "Atención al cliente"))
OWNER_ROLES = frozenset({"manager", "sales_rep"})
