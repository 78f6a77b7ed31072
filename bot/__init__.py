"""Next Step's core, one folder per layer (see README, "How the code is laid out").

config.py is a leaf anyone may import. The layers, top to bottom: runtime/ → clock/ → services/
→ (models) → domain/, with slack/ beside the services; slackfake/ stands apart (imports nothing here).
"""
