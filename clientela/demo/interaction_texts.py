"""Texts of the demo interactions, in Spanish and English: products, e-mails, calls, meetings, notes...

Templates use ``str.format`` fields filled per row: ``{first}`` (the customer's first name, or the
organisation's name), ``{agent}`` (the staff member's first name), ``{company}`` (an organisation's
name), ``{contact}`` (another person's first name), ``{product}``, ``{doc}`` (a document number),
``{n}`` (a small number), ``{year}``, ``{score}`` and ``{date}``.
Every template is a single stripped line unless it is a body; summaries take the first line only.
"""

from __future__ import annotations

# (sku, Spanish name, English name, unit price in EUR cents, consumer product?)
PRODUCTS: tuple[tuple[str, str, str, int, bool], ...] = (
    ("LIC-PRO-12", "Licencia Clientela Pro (anual)", "Clientela Pro licence (yearly)", 48000, False),
    ("LIC-TEAM-12", "Licencia Clientela Equipos (anual)", "Clientela Teams licence (yearly)", 129000, False),
    ("SUP-PREM-1", "Soporte premium (mensual)", "Premium support (monthly)", 9900, False),
    ("SRV-TRAIN-4", "Formación a medida (4 h)", "Tailored training (4 h)", 36000, False),
    ("SRV-INST", "Instalación y puesta en marcha", "Installation and set-up", 45000, False),
    ("SRV-MIG", "Migración de datos", "Data migration", 120000, False),
    ("HW-LAP-14", 'Portátil 14" i5 16 GB', '14" laptop i5 16 GB', 89900, True),
    ("HW-MON-27", 'Monitor 27" QHD', '27" QHD monitor', 27900, True),
    ("HW-DOCK", "Base de conexión USB-C", "USB-C docking station", 14900, True),
    ("HW-KBD", "Teclado inalámbrico", "Wireless keyboard", 4900, True),
    ("HW-MOUSE", "Ratón ergonómico", "Ergonomic mouse", 3500, True),
    ("HW-HEAD", "Auriculares con micrófono", "Headset with microphone", 7900, True),
    ("HW-PRN", "Impresora multifunción láser", "Laser multifunction printer", 32900, True),
    ("CON-TONER", "Tóner negro (alta capacidad)", "Black toner (high yield)", 8900, True),
    ("CON-PAPER", "Papel A4 (caja de 5 paquetes)", "A4 paper (box of 5 reams)", 2450, True),
    ("HW-SSD-1T", "Disco SSD 1 TB", "1 TB SSD drive", 8900, True),
    ("NET-RTR", "Router wifi 6", "Wi-Fi 6 router", 15900, True),
    ("NET-SW-24", "Switch gestionable 24 puertos", "24-port managed switch", 34900, False),
    ("NET-POINT", "Punto de red instalado", "Installed network point", 6500, False),
    ("FUR-CHAIR", "Silla ergonómica", "Ergonomic chair", 24900, True),
    ("FUR-DESK", "Mesa elevable", "Standing desk", 39900, True),
    ("SEC-AV-3", "Antivirus (3 equipos, anual)", "Antivirus (3 devices, yearly)", 5990, True),
    ("CLD-HOST", "Alojamiento web (anual)", "Web hosting (yearly)", 11900, True),
    ("CLD-BACK", "Copia de seguridad en la nube (100 GB)", "Cloud backup (100 GB)", 4800, True),
)

# Exchange factors from EUR prices, and how each currency rounds its prices (in cents).
CURRENCY_FACTOR = {"EUR": 1.0, "USD": 1.1, "MXN": 20.0, "COP": 4500.0}
CURRENCY_ROUND = {"EUR": 1, "USD": 1, "MXN": 100, "COP": 10000}
# Main currency by customer country; a few purchases go in the secondary one.
COUNTRY_CURRENCY = {"ES": "EUR", "MX": "MXN", "US": "USD", "AR": "USD", "CO": "COP"}
SECOND_CURRENCY = {"EUR": "USD", "USD": "EUR", "MXN": "USD", "COP": "USD"}
# Hours between UTC and local office time (standard time; good enough for office hours).
UTC_OFFSET = {"ES": 1, "MX": -6, "US": -5, "AR": -3, "CO": -5}

DOC_PREFIX = {
    "es": {"order": "PED", "invoice": "FAC", "return": "DEV", "web": "WEB", "store": "TPV"},
    "en": {"order": "SO", "invoice": "INV", "return": "RMA", "web": "WEB", "store": "POS"},
}

NOTES = {
    "es": (
        "Cliente satisfecho con la última entrega.",
        "Pide que le enviemos la factura siempre por correo a administración.",
        "Ha cambiado de interlocutor: ahora lleva las compras {contact}.",
        "Interesado en ampliar a {product}; preparar propuesta.",
        "Revisar condiciones de pago en la próxima renovación.",
        "Comenta que la competencia le ofrece un 10 % menos; no bajar de tarifa sin consultar.",
        "Prefiere reuniones los martes por la mañana.",
        "Recordar felicitar por el aniversario como cliente.",
        "Pendiente de confirmar el presupuesto {doc}.",
        "Ha pedido referencias de otros clientes del sector.",
        "Muy contento con la atención de soporte de este mes.",
        "Riesgo de baja: ha preguntado por las condiciones de cancelación.",
        "Ajustar el descuento por volumen a partir del próximo pedido.",
        "Nos recomienda a otra empresa de su grupo.",
        "Solicita formación para dos personas nuevas del equipo.",
        "Actualizados los datos de facturación.\nNueva dirección fiscal confirmada por teléfono.",
        "Resumen de la visita: quieren centralizar todas las compras en un solo proveedor.",
        "Enviar la tarifa {year} antes de fin de mes.",
    ),
    "en": (
        "Customer happy with the last delivery.",
        "Always send invoices by e-mail to accounts payable.",
        "New point of contact: {contact} now handles purchasing.",
        "Interested in adding {product}; prepare a proposal.",
        "Review payment terms at the next renewal.",
        "Says a competitor quoted 10% less; no discount without approval.",
        "Prefers meetings on Tuesday mornings.",
        "Remember the customer anniversary next month.",
        "Waiting for sign-off on quote {doc}.",
        "Asked for references from other customers in the sector.",
        "Very pleased with support this month.",
        "Churn risk: asked about cancellation terms.",
        "Adjust the volume discount from the next order on.",
        "Referred us to a sister company.",
        "Wants training for two new team members.",
        "Billing details updated.\nNew registered address confirmed by phone.",
        "Visit summary: they want to consolidate purchasing with one supplier.",
        "Send the {year} price list before month end.",
    ),
}

# (subject, body) of e-mails from the customer; bodies are short and end with the sender's first name.
EMAILS_IN = {
    "es": (
        (
            "Consulta sobre el pedido {doc}",
            "Hola {agent}:\n\n¿Podéis confirmarme la fecha de entrega del pedido {doc}? "
            "Lo necesitamos antes del viernes.\n\nGracias,\n{first}",
        ),
        (
            "Solicitud de presupuesto",
            "Buenos días:\n\nNecesitamos presupuesto para {n} unidades de {product}. "
            "¿Hay descuento por volumen?\n\nUn saludo,\n{first}",
        ),
        (
            "Duda con la factura {doc}",
            "Hola:\n\nEn la factura {doc} aparece un importe distinto al presupuestado. "
            "¿Podéis revisarlo?\n\nSaludos,\n{first}",
        ),
        (
            "Cambio de dirección de envío",
            "Hola {agent}:\n\nA partir de ahora enviad los pedidos a nuestra nueva nave. "
            "Os paso la dirección por teléfono.\n\n{first}",
        ),
        (
            "Renovación de la licencia",
            "Buenas tardes:\n\nSe nos acaba la licencia el mes que viene. "
            "¿Nos enviáis la propuesta de renovación?\n\nGracias,\n{first}",
        ),
        (
            "Problema con {product}",
            "Hola:\n\nDesde ayer {product} no funciona correctamente. "
            "¿Puede llamarnos alguien de soporte?\n\n{first}",
        ),
        (
            "Alta de un nuevo usuario",
            "Hola {agent}:\n\nNecesitamos dar de alta a una persona nueva del equipo. "
            "¿Qué datos os hacen falta?\n\nUn saludo,\n{first}",
        ),
        (
            "Certificado de retenciones",
            "Buenos días:\n\nNuestra asesoría nos pide el certificado del año pasado. "
            "¿Nos lo podéis enviar?\n\n{first}",
        ),
    ),
    "en": (
        (
            "Question about order {doc}",
            "Hi {agent},\n\nCould you confirm the delivery date for order {doc}? "
            "We need it before Friday.\n\nThanks,\n{first}",
        ),
        (
            "Request for a quote",
            "Good morning,\n\nWe need a quote for {n} units of {product}. "
            "Is there a volume discount?\n\nBest regards,\n{first}",
        ),
        (
            "Question about invoice {doc}",
            "Hello,\n\nInvoice {doc} shows a different amount from the quote. "
            "Could you check it?\n\nRegards,\n{first}",
        ),
        (
            "New shipping address",
            "Hi {agent},\n\nPlease ship future orders to our new warehouse. "
            "I will call you with the address.\n\n{first}",
        ),
        (
            "Licence renewal",
            "Good afternoon,\n\nOur licence expires next month. "
            "Could you send us the renewal proposal?\n\nThanks,\n{first}",
        ),
        (
            "Problem with {product}",
            "Hello,\n\nSince yesterday {product} has not been working properly. "
            "Can someone from support call us?\n\n{first}",
        ),
        (
            "New user account",
            "Hi {agent},\n\nWe need an account for a new team member. "
            "What details do you need?\n\nBest,\n{first}",
        ),
        (
            "Tax certificate",
            "Good morning,\n\nOur accountants are asking for last year's certificate. "
            "Could you send it?\n\n{first}",
        ),
    ),
}

EMAILS_OUT = {
    "es": (
        (
            "Propuesta comercial {doc}",
            "Hola {first}:\n\nTe adjunto la propuesta {doc} con las condiciones que comentamos. "
            "Quedo a tu disposición para cualquier duda.\n\nUn saludo,\n{agent}",
        ),
        (
            "Confirmación de su pedido {doc}",
            "Hola {first}:\n\nHemos recibido el pedido {doc}; saldrá de nuestro almacén en 48 horas."
            "\n\nGracias por su confianza,\n{agent}",
        ),
        (
            "Recordatorio de pago de la factura {doc}",
            "Hola {first}:\n\nOs recordamos que la factura {doc} venció el {date}. "
            "Si ya la habéis pagado, ignorad este mensaje.\n\nSaludos,\n{agent}",
        ),
        (
            "Novedades de {product}",
            "Hola {first}:\n\nTe cuento las novedades de {product} de este trimestre; "
            "creo que os pueden interesar.\n\n{agent}",
        ),
        (
            "Resumen de la reunión",
            "Hola {first}:\n\nGracias por la reunión de hoy. Te resumo los próximos pasos "
            "que acordamos.\n\nUn abrazo,\n{agent}",
        ),
        (
            "Encuesta de satisfacción",
            "Hola {first}:\n\n¿Nos dedicas dos minutos para valorar nuestro servicio? "
            "Tu opinión nos ayuda a mejorar.\n\nGracias,\n{agent}",
        ),
        (
            "Invitación a nuestro webinar",
            "Hola {first}:\n\nEl próximo jueves presentamos las novedades de {product}. "
            "¿Te apuntamos?\n\n{agent}",
        ),
        (
            "Tarifa {year}",
            "Hola {first}:\n\nOs enviamos la tarifa {year}, vigente desde el 1 de enero.\n\nSaludos,\n{agent}",
        ),
    ),
    "en": (
        (
            "Proposal {doc}",
            "Hi {first},\n\nPlease find attached proposal {doc} with the terms we discussed. "
            "Let me know if you have any questions.\n\nBest regards,\n{agent}",
        ),
        (
            "Your order {doc} is confirmed",
            "Hi {first},\n\nWe have received order {doc}; it will leave our warehouse within 48 hours."
            "\n\nThank you,\n{agent}",
        ),
        (
            "Payment reminder for invoice {doc}",
            "Hi {first},\n\nA friendly reminder that invoice {doc} was due on {date}. "
            "If you have already paid, please ignore this message.\n\nRegards,\n{agent}",
        ),
        (
            "What's new in {product}",
            "Hi {first},\n\nHere is what's new in {product} this quarter; "
            "I think some of it will interest you.\n\n{agent}",
        ),
        (
            "Meeting follow-up",
            "Hi {first},\n\nThanks for today's meeting. Here are the next steps we agreed on.\n\nBest,\n{agent}",
        ),
        (
            "Customer satisfaction survey",
            "Hi {first},\n\nCould you spare two minutes to rate our service? "
            "Your feedback helps us improve.\n\nThanks,\n{agent}",
        ),
        (
            "Join our webinar",
            "Hi {first},\n\nNext Thursday we present what's new in {product}. "
            "Shall we sign you up?\n\n{agent}",
        ),
        (
            "{year} price list",
            "Hi {first},\n\nHere is our {year} price list, valid from January 1.\n\nRegards,\n{agent}",
        ),
    ),
}

REPLY_PREFIX = {"es": "RE: ", "en": "Re: "}
REPLY_BODY = {
    "es": (
        "Gracias, {agent}. Lo revisamos y te decimos algo.\n\n{first}",
        "Perfecto, quedamos así.\n\n{first}",
        "Recibido. ¿Podemos hablarlo por teléfono mañana?\n\n{first}",
    ),
    "en": (
        "Thanks, {agent}. We will review it and get back to you.\n\n{first}",
        "Perfect, let's do that.\n\n{first}",
        "Received. Can we discuss it by phone tomorrow?\n\n{first}",
    ),
}

REPLY_BODY_AGENT = {
    "es": (
        "Hola {first}:\n\nGracias por tu mensaje; lo revisamos y te respondemos hoy mismo.\n\n{agent}",
        "Hola {first}:\n\nHecho. Cualquier otra cosa, aquí estamos.\n\nUn saludo,\n{agent}",
    ),
    "en": (
        "Hi {first},\n\nThanks for your message; we are looking into it and will reply today.\n\n{agent}",
        "Hi {first},\n\nDone. Let me know if there is anything else.\n\nBest,\n{agent}",
    ),
}
SIGNATURE = {"es": "El equipo comercial", "en": "The sales team"}

CALLS_ANSWERED = {
    "es": (
        "Llamada de seguimiento: contentos con el servicio.\nNo necesitan nada por ahora.",
        "Pregunta por el estado del pedido {doc}.\nLe confirmamos la entrega para esta semana.",
        "Interesado en {product}; le enviamos información por correo.",
        "Negociación de la renovación: pide un 5 % de descuento.",
        "Incidencia con {product}; se abre ticket con soporte.",
        "Confirma la reunión del {date}.",
        "Reclama la factura {doc}; se la reenviamos.",
        "Llamada de bienvenida al nuevo cliente.",
        "Solicita cambio de la forma de pago a domiciliación.",
        "Pide una demo para su equipo de ventas.",
    ),
    "en": (
        "Follow-up call: happy with the service.\nNothing needed for now.",
        "Asked about the status of order {doc}.\nConfirmed delivery this week.",
        "Interested in {product}; information sent by e-mail.",
        "Renewal negotiation: asking for a 5% discount.",
        "Issue with {product}; support ticket opened.",
        "Confirmed the meeting on {date}.",
        "Asked for a copy of invoice {doc}; sent again.",
        "Welcome call to the new customer.",
        "Wants to switch the payment method to direct debit.",
        "Asked for a demo for their sales team.",
    ),
}
CALLS_MISSED = {
    "es": ("No contesta; volver a llamar.", "Buzón de voz: dejado mensaje.", "Comunicando.", ""),
    "en": ("No answer; call back.", "Left a voicemail.", "Line busy.", ""),
}

# (objective, conclusion, next steps)
MEETINGS = {
    "es": (
        (
            "Presentación de {product}",
            "Les encaja; quieren verlo con su equipo técnico.",
            "Preparar demo técnica y enviar propuesta.",
        ),
        (
            "Revisión trimestral de la cuenta",
            "Buen trimestre; consumo por encima de lo previsto.",
            "Proponer ampliación de contrato.",
        ),
        (
            "Negociación de la renovación anual",
            "Aceptan renovar con un 3 % de descuento.",
            "Enviar contrato para firma.",
        ),
        (
            "Análisis de la incidencia del pedido {doc}",
            "Acordamos reponer el material sin coste.",
            "Logística programa el envío.",
        ),
        (
            "Formación inicial del equipo",
            "Sesión completada con {n} asistentes.",
            "Enviar la documentación y la grabación.",
        ),
        ("Visita a sus instalaciones", "Conocemos su proceso de compras.", "Identificar oportunidades."),
        (
            "Plan de implantación",
            "Calendario acordado en tres fases.",
            "Reunión de arranque con el equipo técnico.",
        ),
        ("Presentación de la nueva tarifa", "Piden tiempo para estudiarla.", "Llamar en dos semanas."),
    ),
    "en": (
        (
            "{product} presentation",
            "Good fit; they want to see it with their technical team.",
            "Prepare a technical demo and send a proposal.",
        ),
        (
            "Quarterly account review",
            "Good quarter; usage above forecast.",
            "Propose a contract extension.",
        ),
        (
            "Annual renewal negotiation",
            "They agree to renew with a 3% discount.",
            "Send the contract for signature.",
        ),
        (
            "Review of the issue with order {doc}",
            "We agreed to replace the goods free of charge.",
            "Logistics to schedule the shipment.",
        ),
        ("Team onboarding", "Session completed with {n} attendees.", "Send the slides and the recording."),
        ("Site visit", "We now know how their purchasing works.", "Identify opportunities."),
        (
            "Implementation plan",
            "Three-phase schedule agreed.",
            "Kick-off meeting with the technical team.",
        ),
        ("New price list presentation", "They need time to review it.", "Call back in two weeks."),
    ),
}
MEETING_ROOMS = {
    "es": ("Sus oficinas", "Nuestras oficinas", "Sala de reuniones 2", "Cafetería del centro", "Feria"),
    "en": ("Their office", "Our office", "Meeting room 2", "Downtown café", "Trade show"),
}

# (subject, description, product wanted?)
COMPLAINTS = {
    "es": (
        ("Entrega con retraso", "El pedido llegó {n} días tarde y sin aviso previo.", False),
        ("Producto defectuoso", "{product} dejó de funcionar a la semana de recibirlo.", True),
        ("Error en la factura", "La factura {doc} incluye líneas que no pedimos.", False),
        ("Mala atención telefónica", "Estuvieron {n} minutos en espera y nadie les atendió.", False),
        ("Material incompleto", "Faltan unidades de {product} en el envío.", True),
        ("Cobro duplicado", "Se ha cargado dos veces el mismo recibo.", False),
        ("Caída del servicio", "El servicio estuvo sin acceso durante {n} horas.", False),
    ),
    "en": (
        ("Late delivery", "The order arrived {n} days late with no notice.", False),
        ("Faulty product", "{product} stopped working a week after delivery.", True),
        ("Invoice error", "Invoice {doc} lists items we did not order.", False),
        ("Poor phone support", "They waited {n} minutes on hold and nobody answered.", False),
        ("Incomplete shipment", "Units of {product} are missing from the delivery.", True),
        ("Double charge", "The same payment was charged twice.", False),
        ("Service outage", "The service was unavailable for {n} hours.", False),
    ),
}

# (topic, text, area)
SUGGESTIONS = {
    "es": (
        ("Portal de clientes", "Les gustaría descargar sus facturas desde un portal.", "Web"),
        ("Pedidos recurrentes", "Proponen programar pedidos mensuales automáticos.", "Ventas"),
        ("Horario de soporte", "Piden soporte también los sábados por la mañana.", "Soporte"),
        ("Embalaje", "Sugieren embalaje reciclable en los envíos.", "Logística"),
        ("Informes", "Quieren un informe mensual de consumo.", "Producto"),
        ("Integración", "Piden integración con su ERP.", "Producto"),
    ),
    "en": (
        ("Customer portal", "They would like to download their invoices from a portal.", "Web"),
        ("Recurring orders", "They suggest scheduling automatic monthly orders.", "Sales"),
        ("Support hours", "They ask for support on Saturday mornings too.", "Support"),
        ("Packaging", "They suggest recyclable packaging for shipments.", "Logistics"),
        ("Reports", "They want a monthly usage report.", "Product"),
        ("Integration", "They ask for an integration with their ERP.", "Product"),
    ),
}

SOCIAL = {
    "es": (
        "¡Muy contentos con el nuevo {product}!",
        "¿Alguien sabe si {product} funciona con Mac?",
        "Gracias al equipo de soporte por la rapidez.",
        "Llevo dos días esperando respuesta a mi consulta…",
        "Recomendado 100 %.",
        "¿Tenéis descuentos para autónomos?",
        "Compartido vuestro artículo sobre productividad.",
    ),
    "en": (
        "Loving the new {product}!",
        "Does anyone know if {product} works on a Mac?",
        "Thanks to the support team for the quick fix.",
        "Two days waiting for an answer to my question...",
        "Highly recommended.",
        "Any discounts for freelancers?",
        "Shared your article on productivity.",
    ),
}
SOCIAL_NETWORKS = ("linkedin", "linkedin", "x", "instagram", "facebook")

RETURN_REASONS = {
    "es": (
        "Llegó dañado",
        "No es lo que pedimos",
        "Ya no lo necesitan",
        "Defecto de fábrica",
        "Talla o modelo",
    ),
    "en": (
        "Arrived damaged",
        "Not what we ordered",
        "No longer needed",
        "Manufacturing defect",
        "Wrong model",
    ),
}

# (label, text) of "other" entries
OTHERS = {
    "es": (
        ("Encuesta de satisfacción", "Puntuación {score}/10 en la encuesta anual."),
        ("Visita en feria", "Pasó por nuestro stand en la feria."),
        ("Envío de catálogo", "Enviado el catálogo impreso por correo postal."),
        ("Cambio de datos bancarios", "Nueva cuenta para las domiciliaciones."),
        ("Asistencia a webinar", "Asistió al webinar de novedades de {product}."),
    ),
    "en": (
        ("Satisfaction survey", "Scored {score}/10 in the annual survey."),
        ("Trade show visit", "Came by our booth at the trade show."),
        ("Catalogue sent", "Printed catalogue sent by post."),
        ("Bank details changed", "New account for direct debits."),
        ("Webinar attendance", "Attended the webinar on what's new in {product}."),
    ),
}
