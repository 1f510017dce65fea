"""Word lists and text templates of the demo data set (used by :mod:`ingest.demo` only).

Every name here is made up for the demo: towns are real places, the groups, clubs and
businesses are not. Text placeholders are ``{town}`` (a gazetteer place name), ``{region}``,
``{parent}`` and ``{year}``.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple


class RegionSpec(NamedTuple):
    """A region of the programme: its hotspot town and the towns its groups may start in."""

    name: str
    hotspot: str
    nation: str
    towns: tuple[str, ...]


REGIONS = (
    RegionSpec(
        "North West", "Wigan", "England",
        ("Bolton", "Leigh", "St Helens", "Chorley", "Warrington", "Skelmersdale", "Preston",
         "Bury", "Salford", "Westhoughton", "Atherton", "Ormskirk", "Leyland", "Widnes",
         "Blackburn", "Darwen", "Horwich"),
    ),
    RegionSpec(
        "Yorkshire and the Humber", "Wakefield", "England",
        ("Pontefract", "Castleford", "Barnsley", "Dewsbury", "Huddersfield", "Halifax", "Leeds",
         "Bradford", "Batley", "Ossett", "Doncaster", "Rotherham", "Goole", "Selby", "Morley",
         "Keighley"),
    ),
    RegionSpec(
        "West Midlands", "Wolverhampton", "England",
        ("Walsall", "Dudley", "Cannock", "Telford", "West Bromwich", "Stourbridge",
         "Kidderminster", "Halesowen", "Lichfield", "Birmingham", "Bromsgrove", "Tamworth",
         "Sutton Coldfield", "Bridgnorth", "Redditch"),
    ),
    RegionSpec(
        "South Wales", "Cardiff", "Wales",
        ("Newport", "Caerphilly", "Pontypridd", "Barry", "Bridgend", "Merthyr Tydfil", "Cwmbran",
         "Ebbw Vale", "Aberdare", "Neath", "Swansea", "Maesteg", "Penarth", "Pontypool",
         "Abergavenny", "Llanelli"),
    ),
    RegionSpec(
        "Central Scotland", "Glasgow", "Scotland",
        ("Paisley", "East Kilbride", "Hamilton", "Motherwell", "Coatbridge", "Airdrie",
         "Cumbernauld", "Falkirk", "Stirling", "Clydebank", "Dumbarton", "Kirkintilloch",
         "Wishaw", "Livingston", "Bathgate", "Alloa", "Grangemouth"),
    ),
)

#: GeoNames entries that are districts or boroughs rather than towns: never used as a town.
NOT_TOWNS = frozenset(
    {"High Peak", "Fylde", "Rossendale", "Coity", "Meikle Earnock", "Dalserf", "Rhondda",
     "Ellesmere Port Town", "City of Westminster", "City of London", "Vale of Leven"}
)

HOTSPOT_NAME = "{town} Peer Recovery Network"
ORG_NAMES = (
    "{town} ACT Peers", "{town} Recovery Together", "{town} Peer Recovery Collective",
    "{town} Mutual Aid Peers", "{town} Peer Recovery Circle", "{town} ACT Recovery Community",
    "{town} Peer Recovery Network",
)
HOTSPOT_TEXT = (
    "Approved partner and hotspot for {region}. Runs ACT Peer Recovery meetings across {town}, "
    "trains and supervises its licensed volunteers, and helps nearby towns start peer groups "
    "of their own."
)
ORG_TEXTS = (
    "Peer-led recovery group for {town} and the villages around it, set up in {year} with "
    "help from {parent}. Its licensed volunteers run open-access meetings and it keeps close "
    "ties with local clubs, trusts and charities.",
    "Local peer organisation started in {year} when {parent} passed on its experience to a "
    "group of volunteers in {town}. Meetings focus on everyday behaviour, using the ACT Matrix.",
    "Independent, peer-led organisation in {town} (since {year}, devolved from {parent}). "
    "Backs its volunteers, runs weekly meetings and finds volunteering places in the community.",
)

VENUES = (
    "{town} Community Centre", "{town} Library", "St Mary's Church Hall", "Methodist Church Hall",
    "Quaker Meeting House", "{town} Wellbeing Hub", "The Old Fire Station", "{town} Family Hub",
    "St John's Parish Rooms", "{town} Leisure Centre meeting room", "Trinity Community Rooms",
)
STREETS = (
    "High Street", "Church Street", "Station Road", "Market Street", "Park Road", "Mill Lane",
    "Victoria Road", "King Street", "Bridge Street", "Chapel Lane", "School Lane", "Queen Street",
)
#: (start, end) of meeting slots; the part of day is derived from the start.
MEETING_SLOTS = (
    (dt.time(10, 0), dt.time(11, 30)), (dt.time(10, 30), dt.time(12, 0)),
    (dt.time(13, 30), dt.time(15, 0)), (dt.time(14, 0), dt.time(15, 30)),
    (dt.time(18, 0), dt.time(19, 30)), (dt.time(18, 30), dt.time(20, 0)),
    (dt.time(19, 0), dt.time(20, 30)), (dt.time(19, 30), dt.time(21, 0)),
)
MEETING_ACCESS = (
    "wheelchair", "hearing_loop", "step_free", "accessible_toilet", "parking",
    "near_public_transport", "quiet_space",
)
MEETING_NOTES = (
    "Newcomers welcome; no need to book.",
    "Tea and coffee from a quarter of an hour before the start.",
    "Use the side entrance; the room is signposted.",
    "Free parking behind the building.",
    "Bring a friend if that helps you come along.",
)

FIRST_NAMES = (
    "Sam", "Alex", "Jo", "Chris", "Jamie", "Lee", "Kim", "Pat", "Ryan", "Sarah", "Gemma", "Dave",
    "Tariq", "Aisha", "Priya", "Ben", "Callum", "Niamh", "Rhys", "Sian", "Dylan", "Carys",
    "Fiona", "Ewan", "Morag", "Craig", "Leanne", "Mark", "Karen", "Paul", "Tracey", "Imran",
    "Zara", "Kieran", "Hannah", "Liam", "Rachel", "Gareth", "Nia", "Stuart", "Donna", "Marcus",
    "Yusuf", "Chloe", "Shaun", "Bethan", "Graham", "Lorna", "Dean", "Amy",
)
INITIALS = "ABCDEFGHJKLMNOPRSTWY"

SCHEDULES = {
    "weekday": (
        ((dt.time(9, 30), dt.time(12, 30)), (dt.time(10, 0), dt.time(13, 0)),
         (dt.time(13, 0), dt.time(16, 0)), (dt.time(10, 0), dt.time(12, 0))),
        ("One morning a week", "2 to 3 hours a week", "Half a day a fortnight",
         "One session a week"),
    ),
    "weekend": (
        ((dt.time(9, 30), dt.time(13, 0)), (dt.time(10, 0), dt.time(14, 0)),
         (dt.time(11, 0), dt.time(15, 0))),
        ("One {day} a month", "Every other {day}", "{day} mornings, when you can"),
    ),
    "evening": (
        ((dt.time(18, 0), dt.time(20, 0)), (dt.time(18, 30), dt.time(20, 30)),
         (dt.time(19, 0), dt.time(21, 0))),
        ("One evening a week", "2 hours a week", "An evening a fortnight"),
    ),
    "flexible": (
        (),
        ("Flexible, around 2 hours a week", "As and when you can", "A few hours a month"),
    ),
}
INDOOR_ACCESS = (
    "wheelchair", "step_free", "accessible_toilet", "hearing_loop", "seated_tasks",
    "quiet_space", "near_public_transport", "parking",
)
OUTDOOR_ACCESS = (
    "accessible_path", "seated_tasks", "near_public_transport", "parking", "accessible_toilet",
)
OUTROS = (
    "No experience needed: someone will show you the ropes on your first session.",
    "Tea, biscuits and a friendly welcome are part of the deal.",
    "Come with a friend from your meeting if you like.",
    "Tell us what you would like to learn and we will pair you with an old hand.",
    "Try a session first and decide afterwards; there is no pressure to commit.",
    "We cover travel costs on request.",
)


class Need(NamedTuple):
    """A template of an opportunity: title, one-sentence text, skills, schedule kind."""

    title: str
    text: str
    skills: tuple[str, ...]
    schedule: str
    interests: tuple[str, ...] = ()


class Category(NamedTuple):
    """A category of community association and the words that go with it."""

    weight: int
    noun: str
    outdoor: bool
    charity: float
    interests: tuple[str, ...]
    names: tuple[str, ...]
    blurbs: tuple[str, ...]
    helps: tuple[str, ...]
    offers: tuple[str, ...]
    sites: tuple[str, ...]
    needs: tuple[Need, ...]


_W, _E, _V, _F = "weekday", "weekend", "evening", "flexible"

#: Association categories (slug -> words). The slug is what ``Association.category`` holds.
CATEGORIES: dict[str, Category] = {
    "waterway_trust": Category(
        5, "trust", True, 0.8, ("waterways", "outdoors", "conservation", "diy-repair"),
        ("{town} Canal Volunteers", "{town} Towpath Volunteers", "Friends of {town} Locks",
         "{town} Waterways Society", "{town} Canal Restoration Group"),
        ("Volunteers looking after the canal, towpath and locks around {town}.",
         "A waterway group restoring and caring for the canal through {town}."),
        ("towpath clearance", "litter picks along the water", "lock maintenance"),
        ("tool training and an outdoor crew", "a safety course and a brew at the lock cottage"),
        ("the towpath by the top lock", "the canal basin car park", "the aqueduct footpath"),
        (Need("Towpath clearance crew", "Cut back overgrowth and clear litter so walkers and "
              "boaters can use the towpath safely.", ("hedge cutting", "tool maintenance",
              "teamwork"), _W),
         Need("Lock gate painting", "Scrape, prime and paint lock gates and balance beams "
              "during the quiet season.", ("painting", "working at the waterside"), _E,
              ("diy-repair",)),
         Need("Boat trip crew member", "Help run short trips on the group's community boat, "
              "greeting passengers and working the locks.", ("customer service", "boat handling"),
              _E, ("events",)),
         Need("Hedge laying helper", "Learn to lay a traditional hedge beside the towpath.",
              ("hedge laying", "tool safety"), _W, ("conservation",))),
    ),
    "conservation": Category(
        6, "group", True, 0.7, ("conservation", "outdoors", "environment-recycling", "animals"),
        ("{town} Wildlife Volunteers", "Friends of {town} Nature Reserve",
         "{town} River Care Group", "{town} Woodland Volunteers",
         "{town} Meadows and Hedgerows Group"),
        ("Practical conservation on the nature reserves and riverbanks around {town}.",
         "Volunteers caring for woods, ponds and meadows in and near {town}."),
        ("tree planting", "clearing invasive balsam", "path repairs"),
        ("practical skills and time outdoors", "wildlife surveys and a friendly team"),
        ("the reserve car park", "the riverside path by the weir", "the woodland gate"),
        (Need("Tree planting day", "Plant native saplings and fit guards on a new woodland "
              "edge.", ("tree planting", "spade work"), _E),
         Need("Dry-stone wall repairs", "Rebuild fallen sections of old field walls with an "
              "experienced waller.", ("dry-stone walling", "teamwork"), _W, ("heritage",)),
         Need("River clean-up volunteer", "Pull litter and balsam from the riverbank with waders "
              "and litter pickers provided.", ("first aid", "working at the waterside"), _W,
              ("waterways", "environment-recycling")),
         Need("Wildlife survey helper", "Count birds, bats or butterflies on set routes and "
              "record what you see.", ("species identification", "recording data"), _F,
              ("animals",)),
         Need("Path and boardwalk repairs", "Mend steps, boardwalks and drainage on reserve "
              "paths.", ("carpentry", "tool maintenance"), _W, ("diy-repair",))),
    ),
    "allotment": Category(
        4, "society", True, 0.3, ("gardening", "outdoors", "cooking-food"),
        ("{town} Allotment Society", "{town} Allotment and Gardens Association",
         "{town} Horticultural Society"),
        ("Plot holders sharing tools, seeds and know-how on the allotments of {town}.",),
        ("the shared plots and the tool shed", "digging and composting"),
        ("growing know-how and fresh veg to take home", "a plot to share and seedlings"),
        ("the lower allotment site",),
        (Need("Allotment plot helper", "Help older plot holders dig, weed and harvest.",
              ("vegetable growing", "composting"), _W, ("befriending-care",)),
         Need("Community plot grower", "Grow veg on the society's shared plot for the local "
              "food bank.", ("seed sowing", "crop planning"), _E, ("cooking-food",)),
         Need("Tool shed keeper", "Keep the shared tools clean, sharp and logged out.",
              ("tool maintenance", "record keeping"), _F, ("diy-repair",))),
    ),
    "community_garden": Category(
        5, "garden", True, 0.6, ("gardening", "outdoors", "health-wellbeing", "cooking-food"),
        ("{town} Community Garden", "{town} Growing Space", "{town} Orchard Project",
         "{town} Green Patch"),
        ("A shared garden where neighbours in {town} grow food and flowers together.",
         "Raised beds, a polytunnel and a small orchard, open to anyone in {town}."),
        ("weeding and watering", "building raised beds", "the orchard harvest"),
        ("gardening skills and a calm place to be", "fresh produce and a shared lunch"),
        ("the orchard by the park", "the polytunnel site"),
        (Need("Garden volunteer", "Sow, weed, water and harvest in the shared beds.",
              ("seed sowing", "composting", "teamwork"), _W),
         Need("Orchard pruning", "Learn winter pruning of apple and pear trees.",
              ("fruit tree pruning", "tool safety"), _E),
         Need("Raised bed builder", "Build and repair raised beds and benches from reclaimed "
              "timber.", ("carpentry", "measuring and cutting"), _E, ("diy-repair",)),
         Need("Garden kitchen helper", "Cook simple lunches from the garden's produce.",
              ("food hygiene", "cooking"), _W, ("cooking-food",))),
    ),
    "sports_club": Category(
        5, "club", False, 0.4, ("sport", "health-wellbeing", "events", "youth-children"),
        ("{town} Community Sports Hub", "{town} Walking Football Club",
         "{town} Inclusive Cycling Group", "{town} Community Boxing Club"),
        ("A friendly, volunteer-run club in {town} that welcomes all abilities.",),
        ("setting up sessions", "match-day jobs"),
        ("free sessions and a team to belong to", "coaching courses"),
        ("the playing fields", "the leisure centre"),
        (Need("Match-day helper", "Set up pitches, run the tea hut and welcome visiting "
              "teams.", ("event set-up", "customer service"), _E, ("events",)),
         Need("Assistant coach", "Support a qualified coach at junior or walking sessions.",
              ("coaching", "safeguarding awareness"), _V, ("youth-children",
              "teaching-mentoring")),
         Need("Groundskeeping volunteer", "Mark lines, mow and look after the pitches.",
              ("grounds care", "machinery use"), _W, ("outdoors",)),
         Need("Club kit and equipment steward", "Wash, repair and store kit and equipment.",
              ("organising", "basic repairs"), _F)),
    ),
    "charity_shop": Category(
        6, "shop", False, 1.0, ("retail", "fundraising", "environment-recycling", "admin-office"),
        ("{town} Community Charity Shop", "{town} Furniture Reuse Project",
         "{town} Second Chance Shop"),
        ("A charity shop in {town} raising money for local causes and keeping goods in use.",),
        ("sorting donations", "the till on busy days"),
        ("retail experience and a reference", "customer service training"),
        ("the warehouse",),
        (Need("Charity shop till and sorting", "Serve customers, sort donations and dress "
              "the shop floor.", ("customer service", "cash handling"), _W),
         Need("Furniture collection mate", "Ride with the van driver collecting and "
              "delivering furniture.", ("manual handling", "route planning"), _W,
              ("driving-transport",)),
         Need("Window display volunteer", "Design the shop window each month.",
              ("visual merchandising", "creativity"), _F, ("arts-crafts",)),
         Need("Online listings helper", "Photograph and list special donations for sale "
              "online.", ("photography", "online selling"), _F, ("it-digital",))),
    ),
    "food_bank": Category(
        6, "food bank", False, 0.9, ("cooking-food", "befriending-care", "admin-office"),
        ("{town} Community Food Bank", "{town} Food Share", "{town} Community Pantry"),
        ("Emergency food and a warm welcome for people in {town} who are struggling.",),
        ("sorting and packing parcels", "deliveries"),
        ("warehouse skills and a team that relies on you", "food hygiene training"),
        ("the warehouse unit", "the church hall distribution point"),
        (Need("Food bank driver", "Collect supermarket donations and deliver parcels to "
              "people who cannot get out.", ("safe driving", "route planning"), _W,
              ("driving-transport",)),
         Need("Warehouse packer", "Check dates, sort stock and pack parcels.",
              ("stock control", "teamwork"), _W),
         Need("Welcome table volunteer", "Greet visitors, offer a hot drink and a chat while "
              "parcels are made up.", ("listening", "signposting"), _W, ("befriending-care",)),
         Need("Supermarket collection helper", "Staff a collection point at a local "
              "supermarket on a Saturday.", ("talking to the public",), _E,
              ("fundraising", "events"))),
    ),
    "repair_cafe": Category(
        3, "café", False, 0.5, ("diy-repair", "environment-recycling", "teaching-mentoring"),
        ("{town} Repair Café", "{town} Fix-It Club", "{town} Bike Kitchen"),
        ("Volunteers in {town} mending what people bring in, from toasters to bikes.",),
        ("fixing bikes and small appliances", "the welcome desk"),
        ("repair skills passed on by experienced fixers", "tools and a workshop space"),
        ("the library meeting room",),
        (Need("Repair cafe fixer", "Mend lamps, toasters and clothes alongside experienced "
              "fixers.", ("electrical safety", "soldering", "sewing"), _E),
         Need("Bike mechanic trainee", "Strip, service and rebuild donated bikes.",
              ("bike maintenance", "tool maintenance"), _V, ("sport",)),
         Need("Repair cafe host", "Book in items, make tea and keep the queue moving.",
              ("customer service", "record keeping"), _E, ("events",)),
         Need("Laptop refurbishment", "Wipe and refurbish donated laptops for people who "
              "need one.", ("computer repair", "data wiping"), _F, ("it-digital",))),
    ),
    "animal_rescue": Category(
        3, "rescue", True, 0.9, ("animals", "outdoors", "fundraising"),
        ("{town} Animal Rescue", "{town} Dog Rescue", "{town} Cat Sanctuary",
         "{town} Community Farm"),
        ("A small rescue in {town} caring for animals until they find new homes.",),
        ("kennel and pen cleaning", "dog walking"),
        ("animal care experience", "calm, steady work with animals"),
        ("the paddocks", "the kennels on the farm lane"),
        (Need("Dog walker", "Walk rescue dogs on quiet routes around the kennels.",
              ("animal handling", "reading dog behaviour"), _W, ("outdoors",)),
         Need("Animal care assistant", "Clean pens, prepare feeds and keep care records.",
              ("animal care", "hygiene routines"), _W),
         Need("Fencing and maintenance", "Repair fences, shelters and gates.",
              ("fencing", "tool maintenance"), _E, ("diy-repair",)),
         Need("Open day helper", "Run stalls and guide visitors at the rescue's open days.",
              ("talking to the public", "event set-up"), _E, ("events", "fundraising"))),
    ),
    "arts": Category(
        4, "group", False, 0.5, ("arts-crafts", "events", "teaching-mentoring"),
        ("{town} Community Arts", "{town} Art Collective", "{town} Pottery Studio",
         "{town} Little Theatre"),
        ("Open studio, workshops and shows for anyone in {town} who wants to make things.",),
        ("setting up workshops", "building sets"),
        ("creative workshops at no cost", "a studio space and materials"),
        ("the old mill studios",),
        (Need("Workshop assistant", "Prepare materials and help people at drop-in art "
              "sessions.", ("art materials", "helping others learn"), _W),
         Need("Set building crew", "Build and paint scenery for the next production.",
              ("carpentry", "scenic painting"), _V, ("diy-repair",)),
         Need("Front of house volunteer", "Welcome the audience, sell programmes and help "
              "people to their seats.", ("customer service", "cash handling"), _V,
              ("events",)),
         Need("Mural project helper", "Help design and paint a community mural.",
              ("painting", "design"), _E)),
    ),
    "music": Category(
        3, "group", False, 0.5, ("music", "events", "befriending-care"),
        ("{town} Community Choir", "{town} Ukulele Group", "{town} Samba Band",
         "{town} Community Brass"),
        ("A welcoming music group in {town}; no auditions and no need to read music.",),
        ("setting up rehearsals", "carrying kit at gigs"),
        ("a place to sing or play", "free lessons on a loan instrument"),
        ("the bandstand in the park",),
        (Need("Rehearsal set-up volunteer", "Set out chairs and stands and make the tea at "
              "weekly rehearsals.", ("organising", "teamwork"), _V),
         Need("Gig roadie", "Load, carry and set up instruments and sound kit at "
              "performances.", ("manual handling", "sound set-up"), _E, ("events",)),
         Need("Singing buddy", "Sing alongside newcomers and help them feel at home.",
              ("singing", "listening"), _V, ("befriending-care",))),
    ),
    "heritage": Category(
        3, "society", False, 0.8, ("heritage", "teaching-mentoring", "events", "admin-office"),
        ("{town} Heritage Society", "{town} Local History Group", "Friends of {town} Museum",
         "{town} Railway Heritage Group"),
        ("Volunteers keeping the history of {town} alive through a small museum and archive.",),
        ("cataloguing the archive", "guiding visitors"),
        ("research skills and a share in local history", "training as a guide"),
        ("the restored signal box", "the heritage railway yard"),
        (Need("Museum guide", "Show visitors round and tell the stories behind the objects.",
              ("public speaking", "local history"), _E, ("events",)),
         Need("Archive scanning volunteer", "Scan and label old photographs and documents.",
              ("scanning", "record keeping"), _W, ("it-digital",)),
         Need("Restoration workshop helper", "Clean and restore old machinery and signs.",
              ("restoration", "tool maintenance"), _W, ("diy-repair",))),
    ),
    "library": Category(
        3, "library", False, 0.4, ("it-digital", "teaching-mentoring", "befriending-care"),
        ("Friends of {town} Library", "{town} Community Library", "{town} Digital Help Point"),
        ("A community-run library in {town} with books, computers and a warm room.",),
        ("shelving and the help desk", "digital drop-ins"),
        ("a quiet place to volunteer and IT training", "reading groups"),
        (),
        (Need("Digital buddy", "Help people get online, fill in forms and use their phones.",
              ("patience", "basic IT"), _W),
         Need("Library shelving and desk", "Shelve returns and help at the issue desk.",
              ("customer service", "organising"), _W, ("admin-office",)),
         Need("Reading group host", "Host a relaxed reading group once a month.",
              ("group facilitation", "listening"), _V, ("befriending-care",))),
    ),
    "community_cafe": Category(
        4, "café", False, 0.6, ("cooking-food", "befriending-care", "retail"),
        ("{town} Community Café", "{town} Pay-as-you-feel Café", "The {town} Kitchen Table"),
        ("A pay-as-you-feel café in {town} cooking with surplus food.",),
        ("the kitchen and counter", "clearing tables"),
        ("food hygiene training and kitchen experience", "a hot meal after each shift"),
        (),
        (Need("Café kitchen assistant", "Prep vegetables, cook simple dishes and wash up.",
              ("food hygiene", "cooking"), _W),
         Need("Counter and barista", "Serve customers and learn to make a decent coffee.",
              ("customer service", "barista skills"), _W, ("retail",)),
         Need("Community lunch host", "Welcome guests at the weekly lunch and sit with people "
              "on their own.", ("listening", "hosting"), _W, ("befriending-care",))),
    ),
    "youth": Category(
        3, "club", False, 0.8, ("youth-children", "sport", "teaching-mentoring", "arts-crafts"),
        ("{town} Youth Club", "{town} Young People's Project", "{town} Youth Hub"),
        ("Evening youth clubs and activities for young people in {town}.",),
        ("running activities", "the tuck shop"),
        ("youth work training", "a team of supportive staff"),
        (),
        (Need("Youth club helper", "Help run games, sports and art at evening sessions.",
              ("safeguarding awareness", "activity planning"), _V),
         Need("Homework club mentor", "Support young people with reading and homework.",
              ("mentoring", "patience"), _V, ("teaching-mentoring",)),
         Need("Trip driver", "Drive the minibus on weekend trips.", ("safe driving",
              "minibus awareness"), _E, ("driving-transport",))),
    ),
    "mens_shed": Category(
        3, "shed", False, 0.6, ("diy-repair", "befriending-care", "health-wellbeing"),
        ("{town} Men's Shed", "{town} Community Shed"),
        ("A workshop in {town} where people make, mend and chat over a brew.",),
        ("woodwork projects", "repairs for local groups"),
        ("woodworking skills and good company", "a workshop and tools"),
        (),
        (Need("Shed woodworker", "Build bird boxes, benches and planters for local groups.",
              ("woodwork", "tool safety"), _W),
         Need("Shed tool keeper", "Sharpen, service and organise the workshop tools.",
              ("tool maintenance",), _F),
         Need("Shed welcome volunteer", "Welcome newcomers and get them started on a first "
              "project.", ("listening", "encouraging others"), _W, ("befriending-care",))),
    ),
    "befriending": Category(
        3, "service", False, 0.9, ("befriending-care", "health-wellbeing", "driving-transport"),
        ("{town} Befriending Service", "{town} Good Neighbours", "{town} Community Transport"),
        ("Volunteers in {town} keeping people company and getting them out and about.",),
        ("phone befriending", "lifts to appointments"),
        ("training in listening skills", "a team and regular supervision"),
        (),
        (Need("Telephone befriender", "Make a weekly friendly call to an isolated older "
              "person.", ("listening", "keeping boundaries"), _F),
         Need("Community transport driver", "Drive people to appointments and the shops.",
              ("safe driving", "passenger assistance"), _W, ("driving-transport",)),
         Need("Walking buddy", "Go for a regular short walk with someone who wants company.",
              ("listening", "encouraging others"), _F, ("outdoors",))),
    ),
    "business": Category(
        4, "business", False, 0.0, ("retail", "diy-repair", "admin-office", "it-digital"),
        ("{town} Garden Centre", "{town} Bike Workshop", "{town} Bakery Co-op",
         "{town} Print Works", "{town} Coffee Roasters", "{town} Builders' Yard"),
        ("An independent business in {town} that offers work experience to local people.",),
        ("stock and customer jobs", "workshop tasks"),
        ("work experience and a reference", "on-the-job training"),
        (),
        (Need("Work experience placement", "A few weeks alongside the team, learning how a "
              "small business runs.", ("customer service", "stock control"), _W),
         Need("Workshop assistant", "Help in the workshop with simple making and repair jobs.",
              ("tool safety", "workshop practice"), _W, ("diy-repair",)),
         Need("Social media helper", "Take photos and write short posts about the business.",
              ("photography", "social media"), _F, ("it-digital",))),
    ),
}
