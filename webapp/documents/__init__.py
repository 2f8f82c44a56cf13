"""Documents: the Document object, type coercion and validation, naming, storage and queries.

The lifecycle (events, permissions, transactions) is webapp/services/documents.py.
"""

from webapp.documents.document import AttrDict, Document, _dict

__all__ = ["AttrDict", "Document", "_dict"]
