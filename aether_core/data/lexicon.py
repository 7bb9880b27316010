"""Word lists for the synthetic skills. Each list is split by ``phrasing.held_out`` (every 5th item
is eval-only), so keep lists long enough for both sides and append new entries at the end."""

from __future__ import annotations

# City -> IANA zone. Knowledge the model must learn (a city it never saw cannot be mapped), so this
# table is NOT split; held-out time prompts use held-out templates and raw zone names instead.
CITY_ZONES: dict[str, str] = {
    "Paris": "Europe/Paris", "London": "Europe/London", "Berlin": "Europe/Berlin",
    "Madrid": "Europe/Madrid", "Rome": "Europe/Rome", "Lisbon": "Europe/Lisbon",
    "Amsterdam": "Europe/Amsterdam", "Brussels": "Europe/Brussels", "Vienna": "Europe/Vienna",
    "Zurich": "Europe/Zurich", "Stockholm": "Europe/Stockholm", "Oslo": "Europe/Oslo",
    "Copenhagen": "Europe/Copenhagen", "Helsinki": "Europe/Helsinki", "Warsaw": "Europe/Warsaw",
    "Prague": "Europe/Prague", "Athens": "Europe/Athens", "Istanbul": "Europe/Istanbul",
    "Moscow": "Europe/Moscow", "Dublin": "Europe/Dublin", "Kyiv": "Europe/Kyiv",
    "Cairo": "Africa/Cairo", "Lagos": "Africa/Lagos", "Nairobi": "Africa/Nairobi",
    "Johannesburg": "Africa/Johannesburg", "Casablanca": "Africa/Casablanca",
    "Dubai": "Asia/Dubai", "Tehran": "Asia/Tehran", "Karachi": "Asia/Karachi",
    "Mumbai": "Asia/Kolkata", "Delhi": "Asia/Kolkata", "Dhaka": "Asia/Dhaka",
    "Bangkok": "Asia/Bangkok", "Jakarta": "Asia/Jakarta", "Singapore": "Asia/Singapore",
    "Hong Kong": "Asia/Hong_Kong", "Shanghai": "Asia/Shanghai", "Beijing": "Asia/Shanghai",
    "Taipei": "Asia/Taipei", "Seoul": "Asia/Seoul", "Tokyo": "Asia/Tokyo", "Manila": "Asia/Manila",
    "Sydney": "Australia/Sydney", "Melbourne": "Australia/Melbourne", "Perth": "Australia/Perth",
    "Auckland": "Pacific/Auckland", "Honolulu": "Pacific/Honolulu",
    "Anchorage": "America/Anchorage", "Los Angeles": "America/Los_Angeles",
    "San Francisco": "America/Los_Angeles", "Seattle": "America/Los_Angeles",
    "Vancouver": "America/Vancouver", "Denver": "America/Denver", "Phoenix": "America/Phoenix",
    "Chicago": "America/Chicago", "Houston": "America/Chicago",
    "Mexico City": "America/Mexico_City", "Toronto": "America/Toronto",
    "New York": "America/New_York", "Boston": "America/New_York", "Miami": "America/New_York",
    "Montreal": "America/Toronto", "Bogota": "America/Bogota", "Lima": "America/Lima",
    "Santiago": "America/Santiago", "Buenos Aires": "America/Argentina/Buenos_Aires",
    "Sao Paulo": "America/Sao_Paulo", "Rio de Janeiro": "America/Sao_Paulo",
    "Reykjavik": "Atlantic/Reykjavik",
}  # fmt: skip

# Raw zone names users may type; copied verbatim into the call, so this list IS split.
RAW_ZONES: tuple[str, ...] = (
    "Europe/Paris", "Asia/Tokyo", "America/New_York", "Europe/London", "UTC",
    "Australia/Sydney", "America/Chicago", "Asia/Kolkata", "Europe/Berlin", "Asia/Kathmandu",
    "America/Halifax", "Asia/Yangon", "Australia/Adelaide", "Pacific/Fiji", "Atlantic/Azores",
    "America/St_Johns", "Asia/Kabul", "Asia/Colombo", "Africa/Accra", "Europe/Bucharest",
    "Europe/Belgrade", "Asia/Riyadh", "Asia/Baghdad", "America/Caracas", "America/Havana",
    "Asia/Ho_Chi_Minh", "Asia/Kuala_Lumpur", "Asia/Tashkent", "Asia/Almaty", "Europe/Minsk",
    "Pacific/Guam", "America/Regina", "America/Edmonton", "America/Winnipeg", "Asia/Jerusalem",
    "Asia/Qatar", "Europe/Madrid", "America/Los_Angeles", "Asia/Seoul", "Africa/Nairobi",
)  # fmt: skip

# Places that are only copied (memory facts, search subjects): split.
WORLD_CITIES: tuple[str, ...] = (
    "Lyon", "Marseille", "Toulouse", "Nice", "Nantes", "Bordeaux", "Lille", "Strasbourg",
    "Munich", "Hamburg", "Cologne", "Frankfurt", "Leipzig", "Dresden", "Barcelona", "Valencia",
    "Seville", "Bilbao", "Porto", "Milan", "Naples", "Turin", "Florence", "Venice", "Bologna",
    "Geneva", "Basel", "Bern", "Rotterdam", "Utrecht", "Antwerp", "Ghent", "Krakow", "Gdansk",
    "Budapest", "Bratislava", "Ljubljana", "Zagreb", "Plovdiv", "Bucharest", "Riga", "Tallinn",
    "Vilnius", "Edinburgh", "Glasgow", "Manchester", "Liverpool", "Bristol", "Leeds", "Cardiff",
    "Belfast", "Cork", "Galway", "Bergen", "Gothenburg", "Malmo", "Aarhus", "Tampere", "Osaka",
    "Kyoto", "Nagoya", "Sapporo", "Busan", "Hanoi", "Chiang Mai", "Kuala Lumpur", "Bangalore",
    "Chennai", "Pune", "Lahore", "Kathmandu", "Colombo", "Doha", "Amman", "Beirut", "Tunis",
    "Algiers", "Dakar", "Accra", "Kampala", "Addis Ababa", "Cape Town", "Durban", "Brisbane",
    "Adelaide", "Hobart", "Wellington", "Christchurch", "Quebec City", "Ottawa", "Calgary",
    "Winnipeg", "Halifax", "Portland", "Austin", "Dallas", "Atlanta", "Nashville", "Detroit",
    "Minneapolis", "San Diego", "Philadelphia", "Pittsburgh", "New Orleans", "Salt Lake City",
    "Havana", "Quito", "La Paz", "Montevideo", "Asuncion", "Cordoba", "Valparaiso", "Medellin",
    "Cusco", "Recife", "Salvador", "Curitiba", "Guadalajara", "Monterrey", "Oaxaca",
)  # fmt: skip

FIRST_NAMES: tuple[str, ...] = (
    "Alice", "Marco", "Sofia", "Liam", "Emma", "Noah", "Olivia", "Lucas", "Mia", "Hugo",
    "Chloe", "Arthur", "Lea", "Jonas", "Clara", "Mateo", "Ines", "Felix", "Nora", "Oscar",
    "Zoe", "Theo", "Anna", "Leo", "Julia", "Max", "Sara", "Elias", "Maya", "Adam", "Lina",
    "Samuel", "Eva", "David", "Alma", "Ethan", "Ava", "Jack", "Isla", "Omar", "Yasmin", "Ravi",
    "Priya", "Kenji", "Yuki", "Wei", "Mei", "Ahmed", "Fatima", "Diego", "Lucia", "Pablo",
    "Carmen", "Ivan", "Olga", "Piotr", "Agnieszka", "Lars", "Ingrid", "Sven", "Astrid",
    "Kwame", "Amara", "Tariq", "Leila", "Hannah", "Benjamin", "Charlotte", "George", "Amelia",
    "Rosa", "Tomas", "Freya", "Malik", "Aisha", "Kai", "Nina", "Paul", "Vera", "Rafael",
    "Elena", "Victor", "Irene", "Simon", "Laura", "Daniel", "Sophie", "Martin", "Alba",
    "Jorge", "Bianca", "Stefan", "Greta", "Aaron", "Naomi", "Jasper", "Iris", "Ruben", "Mila",
)  # fmt: skip

PET_NAMES: tuple[str, ...] = (
    "Rex", "Bella", "Milo", "Luna", "Marshmallow", "Pancake", "Biscotti", "Daisy", "Oreo", "Pepper",
    "Biscuit", "Shadow", "Ginger", "Simba", "Nala", "Rocky", "Mochi", "Pumpkin", "Toby",
    "Whiskers", "Bubbles", "Ziggy", "Peanut", "Sprinkles", "Bruno", "Lola", "Stripes", "Snowball",
    "Muffin", "Dumpling", "Button", "Truffle", "Peaches", "Wasabi", "Bean", "Olive", "Pickles", "Nugget",
    "Gizmo", "Fudge",
)  # fmt: skip

PETS: tuple[str, ...] = ("dog", "cat", "rabbit", "parrot", "hamster", "goldfish", "turtle",
                         "puppy", "kitten", "guinea pig")  # fmt: skip

RELATIONS: tuple[str, ...] = (
    "sister", "brother", "mother", "father", "mom", "dad", "aunt", "uncle", "cousin",
    "grandmother", "grandfather", "daughter", "son", "wife", "husband", "partner",
    "best friend", "boss", "neighbour", "roommate", "niece", "nephew", "colleague", "grandma",
    "grandpa", "girlfriend", "boyfriend", "teacher", "coach", "godmother",
)  # fmt: skip

COLOUR_WORDS: tuple[str, ...] = (
    "blue", "green", "red", "purple", "teal", "orange", "yellow", "black", "navy blue",
    "turquoise", "pink", "crimson", "lavender", "olive green", "gold", "silver", "white",
    "maroon", "sky blue", "emerald", "coral", "burgundy", "indigo", "beige", "mint green",
)  # fmt: skip

FOODS: tuple[str, ...] = (
    "pizza", "sushi", "lasagna", "pad thai", "tacos", "ramen", "paella", "curry", "burgers",
    "dumplings", "falafel", "pho", "risotto", "pancakes", "chocolate cake", "fish and chips",
    "moussaka", "biryani", "ceviche", "goulash", "croissants", "kimchi", "hummus", "gnocchi",
    "apple pie", "tiramisu", "pierogi", "couscous", "enchiladas", "waffles", "ratatouille",
    "fondue", "bibimbap", "empanadas", "cheesecake",
)  # fmt: skip

BOOKS: tuple[str, ...] = (
    "Dune", "Moby Dick", "Pride and Prejudice", "The Hobbit", "1984", "Jane Eyre",
    "War and Peace", "The Little Prince", "Brave New World", "Frankenstein", "Dracula",
    "The Odyssey", "Don Quixote", "Ivanhoe", "Ulysses", "Beloved", "The Stranger", "Middlemarch",
    "Walden", "Persuasion", "Siddhartha", "Rebecca", "Matilda", "Neuromancer", "Solaris",
)  # fmt: skip

MOVIES: tuple[str, ...] = (
    "Star Wars", "Amelie", "Spirited Away", "The Matrix", "Casablanca", "Inception", "Up",
    "Alien", "Jaws", "Titanic", "Parasite", "Arrival", "Coco", "Heat", "Vertigo", "Psycho",
    "Moana", "Frozen", "Gladiator", "Interstellar", "Amadeus", "Toy Story", "Grease",
    "Labyrinth", "Paddington",
)  # fmt: skip

SPORTS: tuple[str, ...] = ("tennis", "football", "basketball", "swimming", "cycling", "rugby",
                           "climbing", "volleyball", "golf", "running", "skiing", "surfing",
                           "badminton", "hockey", "baseball", "judo", "rowing", "table tennis",
                           "sailing", "fencing")  # fmt: skip

DRINKS: tuple[str, ...] = ("coffee", "green tea", "lemonade", "orange juice", "hot chocolate",
                           "mint tea", "sparkling water", "chai", "iced tea", "oat milk",
                           "apple juice", "espresso", "cola", "kombucha", "smoothies")  # fmt: skip

JOBS: tuple[str, ...] = (
    "a nurse", "an engineer", "a teacher", "a chef", "a lawyer", "a doctor", "a pilot",
    "an architect", "a plumber", "a baker", "a designer", "an accountant", "a farmer",
    "a journalist", "a dentist", "a firefighter", "a programmer", "a librarian", "an electrician",
    "a pharmacist", "a photographer", "a carpenter", "a musician", "a translator", "a vet",
    "a data analyst", "a mechanic", "a painter", "a scientist", "a waiter",
)  # fmt: skip

CARS: tuple[str, ...] = (
    "a red Toyota Corolla", "a blue Volkswagen Golf", "a Tesla Model 3", "a grey Honda Civic",
    "an old Volvo", "a white Ford Fiesta", "a black BMW", "a Renault Clio", "a green Mini",
    "a Fiat 500", "a silver Audi A4", "a Peugeot 208", "a Subaru Outback", "a yellow Jeep",
    "a Skoda Octavia", "a Nissan Leaf", "a Kia Picanto", "a Mazda MX-5", "a vintage Beetle",
    "a Hyundai Kona",
)  # fmt: skip

ALLERGENS: tuple[str, ...] = ("peanuts", "cats", "pollen", "shellfish", "penicillin", "dust",
                              "gluten", "eggs", "bee stings", "strawberries", "milk",
                              "sesame", "latex", "dogs", "walnuts")  # fmt: skip

LANGUAGES: tuple[str, ...] = ("Spanish", "French", "German", "Japanese", "Italian",
                              "Portuguese", "Mandarin", "Korean", "Arabic", "Dutch", "Swedish",
                              "Greek", "Polish", "Turkish", "Hindi", "Russian", "Finnish",
                              "Norwegian", "Czech", "Swahili")  # fmt: skip

SUBJECTS: tuple[str, ...] = ("medicine", "physics", "law", "history", "biology", "art",
                             "music", "economics", "chemistry", "maths", "architecture",
                             "philosophy", "computer science", "geology", "nursing")  # fmt: skip

MONTHS: tuple[str, ...] = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# --------------------------------------------------------------------------- search subjects
ANIMALS: tuple[str, ...] = (
    "octopus", "red panda", "axolotl", "blue whale", "honey bee", "snow leopard", "platypus",
    "hummingbird", "koala", "emperor penguin", "sea otter", "cheetah", "tardigrade", "orca",
    "capybara", "pangolin", "narwhal", "monarch butterfly", "komodo dragon", "barn owl",
    "jellyfish", "gecko", "wolverine", "manatee", "flamingo",
)  # fmt: skip

LANDMARKS: tuple[str, ...] = (
    "the Eiffel Tower", "Mount Everest", "the Great Wall of China", "the Golden Gate Bridge",
    "Machu Picchu", "the Colosseum", "Big Ben", "the Statue of Liberty", "Angkor Wat",
    "the Sagrada Familia", "Uluru", "the Taj Mahal", "Stonehenge", "the Burj Khalifa",
    "Mont Blanc", "the Acropolis", "Niagara Falls", "the Leaning Tower of Pisa",
    "the Sydney Opera House", "Table Mountain",
)  # fmt: skip

TOPICS: tuple[str, ...] = (
    "the printing press", "the Roman Empire", "jazz", "the internet", "photosynthesis",
    "black holes", "the Renaissance", "climate change", "quantum computing", "the Silk Road",
    "origami", "the moon landing", "volcanoes", "chess openings", "the French Revolution",
    "electric cars", "solar panels", "coral reefs", "the Olympic Games", "sourdough bread",
    "the Vikings", "bitcoin", "the human heart", "plate tectonics", "impressionism",
    "vaccines", "the Mars rovers", "meditation", "3D printing", "the stock market",
    "bonsai trees", "the Byzantine Empire", "honey", "typography", "tea ceremonies",
)  # fmt: skip

TECH: tuple[str, ...] = (
    "python decorators", "rust lifetimes", "docker volumes", "git rebase", "css grid",
    "sql joins", "linux permissions", "kubernetes pods", "react hooks", "regular expressions",
    "bash loops", "javascript promises", "typescript generics", "vim macros", "unit testing",
    "http caching", "ssh keys", "json schema", "go channels", "c pointers",
)  # fmt: skip

OBJECTS: tuple[str, ...] = (
    "bike chain", "leaky faucet", "flat tire", "squeaky door", "broken zipper",
    "wobbly table", "clogged drain", "cracked phone screen", "slow laptop", "running toilet",
    "stuck window", "dead car battery", "frozen pipe", "loose doorknob", "jammed printer",
)  # fmt: skip

ILLNESSES: tuple[str, ...] = ("the flu", "migraine", "hay fever", "a sprained ankle",
                              "food poisoning", "a sore throat", "jet lag", "insomnia",
                              "sunburn", "a cold", "back pain", "a fever", "dehydration",
                              "tennis elbow", "an ear infection")  # fmt: skip

COUNTRIES: tuple[str, ...] = (
    "Japan", "Brazil", "Canada", "Kenya", "Norway", "Peru", "Vietnam", "Morocco", "Iceland",
    "Chile", "New Zealand", "Portugal", "Mongolia", "Ghana", "Finland", "Argentina", "Nepal",
    "Ireland", "Egypt", "Indonesia", "Croatia", "Colombia", "Greece", "Thailand", "Austria",
)  # fmt: skip

# subject patterns: {a} is filled from the named list
SEARCH_PATTERNS: tuple[tuple[str, str], ...] = (
    ("{a} recipe", "FOODS"), ("history of {a}", "TOPICS"), ("{a} facts", "ANIMALS"),
    ("weather in {a} tomorrow", "WORLD_CITIES"), ("how tall is {a}", "LANDMARKS"),
    ("how to fix a {a}", "OBJECTS"), ("{a} tutorial", "TECH"), ("best {a} in {b}", "FOODS+CITY"),
    ("symptoms of {a}", "ILLNESSES"), ("population of {a}", "COUNTRIES"),
    ("what do {a}s eat", "ANIMALS"), ("cheap flights to {a}", "WORLD_CITIES"),
    ("latest news about {a}", "TOPICS"), ("{a} opening hours", "LANDMARKS"),
    ("{a} for beginners", "LANGUAGES"), ("capital of {a}", "COUNTRIES"),
    ("who invented {a}", "TOPICS"), ("{a} vs alternatives", "TECH"),
    ("things to do in {a}", "WORLD_CITIES"), ("how to treat {a}", "ILLNESSES"),
    ("{a}", "TOPICS"), ("{a} lifespan", "ANIMALS"), ("how to make {a} at home", "FOODS"),
    ("visa rules for {a}", "COUNTRIES"), ("{a} common errors", "TECH"),
)  # fmt: skip

# More subject shapes, for training only (the eval draws from SEARCH_PATTERNS alone): subjects
# that hold "for", "about", "to" or "in" themselves, so that the query is not simply "whatever
# follows the last preposition", and subjects from more lists than the ones above.
TRAIN_SEARCH_PATTERNS: tuple[tuple[str, str], ...] = (
    ("where to buy {a}", "FOODS"), ("reviews of {a}", "BOOKS"), ("{a} showtimes", "MOVIES"),
    ("rules of {a}", "SPORTS"), ("how to get better at {a}", "SPORTS"), ("salary of {a}", "JOBS"),
    ("how to become {a}", "JOBS"), ("best time to visit {a}", "WORLD_CITIES"),
    ("hotels in {a}", "WORLD_CITIES"), ("news about {a}", "TOPICS"),
    ("tips for learning {a}", "LANGUAGES"), ("is {a} good for you", "DRINKS"),
    ("how to brew {a}", "DRINKS"), ("degrees in {a}", "SUBJECTS"),
    ("what to do about {a}", "ILLNESSES"), ("tickets for {a}", "LANDMARKS"),
    ("{a} for kids", "TOPICS"), ("how to say thank you in {a}", "LANGUAGES"),
    ("cost of living in {a}", "WORLD_CITIES"), ("how long do {a}s live", "ANIMALS"),
    ("{a} summary", "BOOKS"), ("who wrote {a}", "BOOKS"), ("{a} cast", "MOVIES"),
    ("{a} gear for a beginner", "SPORTS"), ("jobs with a degree in {a}", "SUBJECTS"),
    ("how to get to {a}", "LANDMARKS"), ("facts about {a}", "TOPICS"),
    ("{a} in {b}", "FOODS+CITY"), ("is {a} safe to travel to", "COUNTRIES"),
    ("how to learn {a} fast", "TECH"), ("{a} explained", "TECH"), ("origin of {a}", "FOODS"),
    ("where do {a}s live", "ANIMALS"), ("train tickets to {a}", "WORLD_CITIES"),
    ("{a} allergy", "ALLERGENS"), ("how to clean a {a}", "OBJECTS"),
)  # fmt: skip

# More fillers for the same subject shapes, for training only (the eval draws from the lists
# above, held out by position): with a few dozen of each, a small model learns which landmarks
# and dishes exist rather than to copy what the user wrote ("how tall is the sagrada" of "... the
# sagrada familia"). Many are several words long, end in a rare word or start with one letter.
TRAIN_FILLERS: dict[str, tuple[str, ...]] = {
    "FOODS": (
        "banh mi", "jollof rice", "shakshuka", "beef wellington", "carrot cake", "churros",
        "lemon tart", "baklava", "miso soup", "chicken tikka masala", "mac and cheese", "borscht",
        "tom yum soup", "butter chicken", "focaccia", "tamales", "okonomiyaki", "clam chowder",
        "spanakopita", "pulled pork", "key lime pie", "bread pudding", "dal makhani", "poutine",
        "laksa", "chili con carne", "pecan pie", "sticky toffee pudding", "onion rings",
        "egg fried rice", "pumpkin soup", "beef stroganoff", "gyoza", "spring rolls", "gazpacho",
        "cinnamon rolls", "lentil soup", "jambalaya", "tzatziki", "pesto pasta", "crepes",
        "peanut butter cookies", "vegetable lasagne", "goat curry", "black forest gateau",
    ),
    "TOPICS": (
        "the Ottoman Empire", "the Great Depression", "the Cold War", "ancient Egypt", "the Aztecs",
        "the Industrial Revolution", "the Apollo program", "the Berlin Wall", "dinosaurs",
        "the Maya civilization", "the Black Death", "the Hubble telescope", "string theory",
        "the Magna Carta", "the Ming dynasty", "the gold rush", "artificial intelligence",
        "the Hanseatic League", "baroque music", "the Meiji era", "crop rotation", "glaciers",
        "the Spanish flu", "the Mongol Empire", "cubism", "the periodic table", "tsunamis",
        "the Dead Sea Scrolls", "the Manhattan Project", "the Inca road system", "beekeeping",
        "the Suez Canal", "the Trojan War", "hip hop", "the Marshall Plan", "wind turbines",
        "the Hundred Years War", "the Rosetta Stone", "blockchain", "the Space Race", "gene editing",
        "the Harlem Renaissance", "the Wright brothers", "the Qing dynasty", "the ozone layer",
    ),
    "ANIMALS": (
        "giant panda", "snow owl", "sea turtle", "grey wolf", "bald eagle", "poison dart frog",
        "giraffe", "hedgehog", "clownfish", "mountain goat", "arctic fox", "hammerhead shark",
        "meerkat", "wombat", "chameleon", "peregrine falcon", "bottlenose dolphin", "okapi",
        "lynx", "sloth", "humpback whale", "king cobra", "kiwi bird", "polar bear", "raccoon",
        "tasmanian devil", "manta ray", "fennec fox", "ibex", "walrus", "great white shark",
        "golden retriever", "mantis shrimp", "bonobo", "yak", "puffin", "stick insect",
    ),
    "WORLD_CITIES": (
        "Saint Petersburg", "Rio de Janeiro", "Buenos Aires", "Ho Chi Minh City", "Tel Aviv",
        "San Francisco", "Mexico City", "Kuala Terengganu", "Santa Fe", "Las Palmas", "Sao Paulo",
        "Port Louis", "Abu Dhabi", "Hong Kong", "Da Nang", "Nizhny Novgorod", "Cluj", "Ulm",
        "Aix en Provence", "Trondheim", "Zermatt", "Luang Prabang", "Yogyakarta", "Marrakesh",
        "Kigali", "Windhoek", "Tbilisi", "Yerevan", "Almaty", "Ushuaia", "Bogota", "Reykjavik",
        "Palermo", "Granada", "Innsbruck", "Salzburg", "Tromso", "Oulu", "Siena", "Split",
        "Dubrovnik", "Kotor", "Ohrid", "Lagos", "Mombasa", "Zanzibar City", "Perth", "Darwin",
        "Queenstown", "Victoria", "Anchorage", "Savannah", "Santa Cruz", "St Andrews", "Bath",
    ),
    "LANDMARKS": (
        "the Louvre", "Mount Fuji", "Petra", "Chichen Itza", "the Brandenburg Gate",
        "Neuschwanstein Castle", "the Alhambra", "Mount Kilimanjaro", "the Matterhorn",
        "the Blue Mosque", "the Hagia Sophia", "Christ the Redeemer", "the Forbidden City",
        "the Tower of London", "the Parthenon", "Victoria Falls", "the Grand Canyon",
        "Ha Long Bay", "the CN Tower", "Mount Rushmore", "the Empire State Building",
        "the Space Needle", "Edinburgh Castle", "Mont Saint Michel", "the Atomium",
        "the Little Mermaid", "Ayers Rock", "the Pyramids of Giza", "the Great Sphinx",
        "Sigiriya", "Borobudur", "the Potala Palace", "Iguazu Falls", "the Charles Bridge",
        "the Cliffs of Moher", "Ben Nevis", "Mount Olympus", "the Dome of the Rock",
        "Kinkaku ji", "the Shard", "the Hollywood sign", "Half Dome", "Lake Louise",
        "the Gateway Arch", "Cologne Cathedral", "the Rock of Gibraltar", "Preikestolen",
    ),
    "OBJECTS": (
        "garage door", "smoke alarm", "cracked tile", "ceiling fan", "dripping shower head",
        "tripped breaker", "jammed lock", "noisy fridge", "broken blind", "sticky drawer",
        "leaking radiator", "dead doorbell", "scratched table", "stripped screw", "ripped seam",
        "loose toilet seat", "burnt out bulb", "stuck zip", "clogged dishwasher", "bent rim",
        "flickering light", "humming speaker", "drafty window", "dented car door",
        "unresponsive mouse", "frayed cable", "cracked windshield", "squeaky floorboard",
    ),
    "TECH": (
        "c structs", "c macros", "r dataframes", "c sharp delegates", "go modules", "java streams",
        "python asyncio", "rust traits", "kotlin coroutines", "swift optionals", "c++ templates",
        "numpy broadcasting", "pandas groupby", "webassembly", "graphql", "terraform modules",
        "nginx config", "redis streams", "postgres indexes", "cron jobs", "tmux panes",
        "zsh aliases", "haskell monads", "elixir processes", "lua tables", "flexbox",
        "websockets", "oauth tokens", "binary search", "big o notation", "dynamic programming",
        "x86 assembly", "r ggplot", "j query selectors", "f sharp pipelines", "d lang ranges",
        "makefiles", "ansible playbooks", "llvm passes", "scala implicits", "php sessions",
    ),
    "ILLNESSES": (
        "a stomach bug", "a toothache", "an allergic reaction", "a pulled muscle", "tonsillitis",
        "a kidney stone", "shingles", "chickenpox", "a sinus infection", "heartburn", "asthma",
        "a stiff neck", "pink eye", "a bee sting", "motion sickness", "a nosebleed", "eczema",
        "a urinary infection", "a broken toe", "altitude sickness", "a rash", "a chest cold",
        "acid reflux", "a concussion", "a twisted knee", "a blister", "strep throat",
    ),
    "COUNTRIES": (
        "Germany", "Mexico", "Sri Lanka", "South Korea", "Costa Rica", "the Philippines",
        "Tanzania", "Uruguay", "Bhutan", "Estonia", "Jordan", "Namibia", "Slovenia", "Cuba",
        "Malaysia", "Laos", "Georgia", "Albania", "Madagascar", "Ecuador", "Oman", "Belgium",
        "the Netherlands", "Scotland", "Uzbekistan", "Rwanda", "Fiji", "Cambodia", "Montenegro",
        "the Czech Republic", "Bolivia", "Senegal", "Luxembourg", "Papua New Guinea", "Chad",
    ),
    "LANGUAGES": (
        "Vietnamese", "Thai", "Hebrew", "Ukrainian", "Danish", "Hungarian", "Tagalog", "Urdu",
        "Bengali", "Persian", "Icelandic", "Welsh", "Irish", "Catalan", "Basque", "Romanian",
        "Indonesian", "Malay", "Amharic", "Zulu", "Tamil", "Punjabi", "Cantonese", "Latin",
        "sign language", "Esperanto", "Yoruba", "Quechua", "Maori", "Serbian", "Slovak",
    ),
}  # fmt: skip

# --------------------------------------------------------------------------- URLs and pages
KNOWN_SITES: tuple[str, ...] = (
    "en.wikipedia.org", "www.bbc.com", "docs.python.org", "github.com", "medium.com",
    "www.theguardian.com", "arxiv.org", "www.nature.com", "stackoverflow.com",
    "developer.mozilla.org", "www.reuters.com", "news.ycombinator.com", "www.nytimes.com",
    "www.lemonde.fr", "www.spiegel.de", "blog.rust-lang.org", "www.nationalgeographic.com",
    "www.economist.com", "www.wired.com", "www.bbc.co.uk", "dev.to", "www.scientificamerican.com",
    "www.allrecipes.com", "www.lonelyplanet.com", "www.healthline.com",
)  # fmt: skip

URL_WORDS: tuple[str, ...] = (
    "green", "river", "pixel", "cloud", "maple", "stone", "north", "bright", "quiet", "open",
    "blue", "cedar", "iron", "paper", "lumen", "orbit", "harbor", "summit", "tiny", "golden",
    "fox", "atlas", "echo", "nova", "delta", "willow", "copper", "amber", "polar", "signal",
    "garden", "forge", "crafty", "rapid", "urban", "wild", "hidden", "daily", "solar", "nimble",
)  # fmt: skip

TLDS: tuple[str, ...] = ("com", "org", "net", "io", "dev", "co.uk", "de", "fr", "blog",
                         "info")  # fmt: skip

PAGE_TOPICS: tuple[str, ...] = (
    "growing tomatoes", "learning to code", "saving money", "training for a marathon",
    "baking bread", "remote work", "sleep hygiene", "home composting", "urban cycling",
    "birdwatching", "budget travel", "houseplant care", "public speaking", "minimalist living",
    "electric bikes", "making pasta", "night photography", "writing a novel", "beekeeping",
    "learning guitar", "caring for a puppy", "camping in winter", "brewing coffee",
    "reducing screen time", "starting a podcast", "painting with watercolors",
    "building a website", "protecting your privacy", "cooking for one", "hiking safety",
)  # fmt: skip

# --------------------------------------------------------------------------- echo text
ECHO_WORDS: tuple[str, ...] = (
    "hello", "world", "banana", "rocket", "purple", "monkey", "testing", "one", "two", "three",
    "alpha", "bravo", "charlie", "delta", "zebra", "sunshine", "pizza", "robot", "magic",
    "jazz", "quantum", "velvet", "thunder", "cookie", "galaxy", "ninja", "piano", "waffle",
    "llama", "kiwi", "disco", "turbo", "mango", "cactus", "spark", "pixel", "noodle", "comet",
    "bubble", "lemon", "tiger", "marble", "frost", "ember", "orbit", "puzzle", "ribbon",
    "saffron", "tundra", "vortex",
)  # fmt: skip

ECHO_SENTENCES: tuple[str, ...] = (
    "The quick brown fox jumps over the lazy dog", "I love sunny mornings",
    "Meet me at 5 pm", "This is only a test", "All systems go", "Hello from the other side",
    "Never give up", "Keep calm and carry on", "Coffee first, then work",
    "See you tomorrow", "The cake is a lie", "Winter is coming", "Practice makes perfect",
    "Roses are red, violets are blue", "Ship it!", "Time flies like an arrow",
    "Knock knock, who's there?", "May the force be with you", "Break a leg",
    "Let's go to the beach", "Don't panic", "Ready, set, go", "Good vibes only",
    "Mind the gap", "Back in five minutes",
)  # fmt: skip

ECHO_EXTRAS: tuple[str, ...] = ("!!", "?!", "...", " :)", " ;-)", " #42", " @home", " 100%",
                                " & more", " (ok)", " 3.14", " é", " über", " 日本", " ☀",
                                " -_-", " v2.0", " [x]", " *wow*", " $9.99")  # fmt: skip

# --------------------------------------------------------------------------- small talk
JOKES: tuple[str, ...] = (
    "Why did the scarecrow win an award? Because he was outstanding in his field.",
    "I told my computer a joke about UDP. I'm not sure it got it.",
    "Why don't skeletons fight each other? They don't have the guts.",
    "What do you call a fake noodle? An impasta.",
    "Why did the math book look sad? It had too many problems.",
    "I would tell you a joke about time travel, but you didn't like it.",
    "Why do programmers prefer dark mode? Because light attracts bugs.",
    "What do you call a bear with no teeth? A gummy bear.",
    "Why did the bicycle fall over? It was two-tired.",
    "How does a penguin build its house? Igloos it together.",
    "Why can't a nose be 12 inches long? Because then it would be a foot.",
    "What did the ocean say to the beach? Nothing, it just waved.",
)  # fmt: skip
